"""The commit tracker: what may be committed after acks in any order, revokes and rewinds."""

from __future__ import annotations

import threading

from hazelnut.broker.tracker import CommitTracker


def test_out_of_order_acks_commit_only_the_contiguous_prefix() -> None:
    tracker = CommitTracker()
    tickets = [tracker.track("q", 0, offset) for offset in range(10, 15)]

    tracker.ack(tickets[1])
    tracker.ack(tickets[3])
    assert tracker.committable() == {("q", 0): 10}

    tracker.ack(tickets[0])
    assert tracker.committable() == {("q", 0): 12}

    tracker.ack(tickets[2])
    tracker.ack(tickets[4])
    assert tracker.committable() == {("q", 0): 15}


def test_nothing_acked_keeps_the_first_fetched_offset() -> None:
    tracker = CommitTracker()
    tracker.track("q", 3, 7)
    tracker.track("q", 3, 8)
    assert tracker.committable() == {("q", 3): 7}
    assert tracker.outstanding() == 2


def test_partitions_are_independent() -> None:
    tracker = CommitTracker()
    a = tracker.track("q", 0, 0)
    tracker.track("q", 1, 0)
    b = tracker.track("q", 1, 1)
    tracker.ack(a)
    tracker.ack(b)
    assert tracker.committable() == {("q", 0): 1, ("q", 1): 0}


def test_gaps_in_offsets_do_not_block_commits() -> None:
    # Compaction and transaction markers leave holes; only fetched offsets count.
    tracker = CommitTracker()
    first = tracker.track("q", 0, 100)
    second = tracker.track("q", 0, 105)
    tracker.ack(second)
    assert tracker.committable() == {("q", 0): 100}
    tracker.ack(first)
    assert tracker.committable() == {("q", 0): 106}


def test_mark_committed_suppresses_an_unchanged_position() -> None:
    tracker = CommitTracker()
    tracker.ack(tracker.track("q", 0, 0))
    positions = tracker.committable()
    tracker.mark_committed(positions)
    assert tracker.committable() == {}
    tracker.ack(tracker.track("q", 0, 1))
    assert tracker.committable() == {("q", 0): 2}


def test_release_returns_final_position_and_makes_old_tickets_stale() -> None:
    tracker = CommitTracker()
    done = tracker.track("q", 0, 0)
    running = tracker.track("q", 0, 1)
    tracker.ack(done)

    assert tracker.release([("q", 0)]) == {("q", 0): 1}
    assert tracker.ack(running) is False
    assert tracker.committable() == {}

    # Reassigned later: a fresh ledger, untouched by the stale ticket.
    again = tracker.track("q", 0, 1)
    assert tracker.committable() == {("q", 0): 1}
    assert tracker.ack(again) is True
    assert tracker.committable() == {("q", 0): 2}


def test_a_rewound_partition_starts_over() -> None:
    tracker = CommitTracker()
    old = tracker.track("q", 0, 50)
    tracker.track("q", 0, 40)
    assert tracker.ack(old) is False
    assert tracker.committable() == {("q", 0): 40}


def test_acks_from_many_threads_all_count() -> None:
    tracker = CommitTracker()
    tickets = [tracker.track("q", 0, offset) for offset in range(4000)]

    def ack_slice(start: int) -> None:
        for ticket in tickets[start::4]:
            tracker.ack(ticket)

    threads = [threading.Thread(target=ack_slice, args=(start,)) for start in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert tracker.committable() == {("q", 0): 4000}
    assert tracker.outstanding() == 0
