#!/usr/bin/env bash
# Runs Hazelnut's production-mode backing services on this machine for development and CI:
# PostgreSQL, Redis, ClickHouse and a single-node Kafka broker. There is no systemd or Docker
# here, so each server runs as a plain background daemon whose data, logs and pid files live
# under one state dir (default <repo>/.services, gitignored), listening on loopback only.
# Packages that are missing are installed first (Debian for the databases, Maven Central jars
# for Kafka), so the same command works on a fresh machine and in CI.
#
# Usage: scripts/services.sh start|stop|status|env [postgres|redis|clickhouse|kafka ...]
#   start   install what is missing, start what is not running, wait until each answers
#   stop    stop cleanly (SIGTERM or the server's own fast shutdown) and wait for exit
#   status  one line per service: ok (with version) or down; exit 1 if any is down
#   env     export lines with the URLs the application reads
#
# Environment: HAZELNUT_SERVICES_DIR (state dir), HAZELNUT_SERVICES_TIMEOUT (seconds to wait
# for each server to become ready, default 120).

set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Absolute, because servers get paths inside it and pid checks look for it in command lines.
STATE="$(realpath -m "${HAZELNUT_SERVICES_DIR:-$REPO/.services}")"
TIMEOUT="${HAZELNUT_SERVICES_TIMEOUT:-120}"
ALL_SERVICES=(postgres redis clickhouse kafka)

HOST=127.0.0.1
PG_PORT=5432
REDIS_PORT=6379
CH_TCP_PORT=9000
CH_HTTP_PORT=8123
KAFKA_PORT=9092
KAFKA_CONTROLLER_PORT=9093

# Credentials are fixed because they only ever guard a loopback, throwaway database.
DB_NAME=hazelnut
DB_USER=hazelnut
DB_PASSWORD=hazelnut

# ------------------------------------------------------------------------------------------
# Shared helpers
# ------------------------------------------------------------------------------------------

say() { printf '%s\n' "$*"; }
warn() { printf 'services: %s\n' "$*" >&2; }

# A failed start is only useful with the server's own words next to it.
fail_with_log() {
    local service=$1 message=$2
    shift 2
    warn "$service: $message"
    local file
    for file in "$@"; do
        if [[ -s $file ]]; then
            printf -- '--- last lines of %s ---\n' "$file" >&2
            tail -n 40 "$file" >&2
        fi
    done
    exit 1
}

# A pid file survives a hard kill (CI ends whatever a session left running), and its pid may
# since belong to an unrelated process, so the process must also look like ours: every server
# is started with a path inside the state dir on its command line.
pid_alive() {
    local pidfile=$1 pid
    [[ -s $pidfile ]] || return 1
    pid=$(head -n 1 "$pidfile")
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$STATE/"
}

port_open() {
    timeout 1 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null
}

# Someone else's server on our port would make every later check lie, so refuse loudly
# instead of "reusing" a server whose users and databases we never set up.
ensure_port_free() {
    local service=$1 port
    shift
    for port in "$@"; do
        if port_open "$port"; then
            warn "$service: port $port on $HOST is taken by a process this script did not start"
            ss -ltnp "sport = :$port" >&2 || true
            exit 1
        fi
    done
}

# Polls a readiness command until it succeeds or the timeout passes; the daemon's pid is
# checked too, so a server that died at start fails at once instead of after the full wait.
wait_ready() {
    local pidfile=$1
    shift
    local deadline=$((SECONDS + TIMEOUT))
    until "$@" >/dev/null 2>&1; do
        if ! pid_alive "$pidfile"; then
            return 1
        fi
        if ((SECONDS >= deadline)); then
            return 1
        fi
        sleep 0.5
    done
}

# SIGTERM gives every one of these servers an orderly shutdown (Redis saves, Kafka closes its
# logs cleanly, so the next start skips recovery). SIGKILL only after a long, reported wait.
stop_pid() {
    local service=$1 pidfile=$2
    if ! pid_alive "$pidfile"; then
        rm -f "$pidfile"
        say "$service stopped (was not running)"
        return 0
    fi
    local pid
    pid=$(head -n 1 "$pidfile")
    kill -TERM "$pid"
    local deadline=$((SECONDS + 60))
    while kill -0 "$pid" 2>/dev/null; do
        if ((SECONDS >= deadline)); then
            warn "$service: pid $pid ignored SIGTERM for 60 s, sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.2
    done
    rm -f "$pidfile"
    say "$service stopped"
}

# Starts a command detached from our session (so it outlives this script, its terminal and the
# caller's process group) and has the wrapper write its own pid before exec, which stays right
# whether or not setsid had to fork.
spawn_daemon() {
    local pidfile=$1 outfile=$2
    shift 2
    # shellcheck disable=SC2016  # $$ and $@ belong to the inner shell
    setsid bash -c 'echo $$ > "$0"; exec "$@"' "$pidfile" "$@" >>"$outfile" 2>&1 </dev/null &
    local waited=0
    until [[ -s $pidfile ]] || ((waited >= 50)); do
        sleep 0.1
        waited=$((waited + 1))
    done
}

# ------------------------------------------------------------------------------------------
# Installing what is missing
# ------------------------------------------------------------------------------------------

pg_bindir() {
    local version
    version=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null |
        sort -V | tail -n 1)
    [[ -n $version && -x /usr/lib/postgresql/$version/bin/postgres ]] || return 1
    printf '/usr/lib/postgresql/%s/bin\n' "$version"
}

packages_missing() {
    local service
    for service in "$@"; do
        case $service in
        postgres)
            pg_bindir >/dev/null || echo postgresql
            command -v psql >/dev/null || echo postgresql-client
            ;;
        redis)
            command -v redis-server >/dev/null || echo redis-server
            command -v redis-cli >/dev/null || echo redis-tools
            ;;
        clickhouse)
            command -v clickhouse-server >/dev/null || echo clickhouse-server
            command -v clickhouse-client >/dev/null || echo clickhouse-client
            ;;
        kafka)
            # A JDK, not a JRE: the readiness probe runs through Java's source launcher.
            command -v javac >/dev/null || echo default-jdk-headless
            command -v mvn >/dev/null || echo maven
            ;;
        esac
    done | sort -u
}

install_missing() {
    local -a missing
    mapfile -t missing < <(packages_missing "$@")
    ((${#missing[@]} == 0)) && return 0
    say "installing: ${missing[*]}"
    # Package scripts would start their own daemons on our ports where init scripts are allowed
    # to run; a policy-rc.d that says "no" keeps the install inert, as in container images.
    local own_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        own_policy=1
    fi
    local rc=0
    {
        DEBIAN_FRONTEND=noninteractive apt-get update -q &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
                "${missing[@]}"
    } >"$STATE/apt.log" 2>&1 || rc=$?
    ((own_policy)) && rm -f /usr/sbin/policy-rc.d
    if ((rc != 0)); then
        fail_with_log install "apt-get failed (exit $rc)" "$STATE/apt.log"
    fi
}

# ------------------------------------------------------------------------------------------
# PostgreSQL
# ------------------------------------------------------------------------------------------

PG_DIR="$STATE/postgres"
PG_DATA="$PG_DIR/data"
PG_RUN="$PG_DIR/run"
# Unix socket paths are capped at 107 bytes; a deep checkout (CI clones elsewhere) could pass
# that, so such a state dir gets its socket in a short per-state-dir directory under /tmp.
if ((${#PG_RUN} + 16 > 107)); then
    PG_RUN="/tmp/hazelnut-pg-$(printf '%s' "$STATE" | sha256sum | cut -c 1-12)"
fi
PG_LOG="$PG_DIR/postgres.log"

as_postgres() { runuser -u postgres -- "$@"; }

pg_ready() { pg_isready -q -h "$HOST" -p "$PG_PORT"; }

pg_admin() {
    as_postgres psql -X -q -v ON_ERROR_STOP=1 -h "$PG_RUN" -p "$PG_PORT" -U postgres -d postgres
}

pg_version() {
    PGPASSWORD=$DB_PASSWORD psql -X -tA -h "$HOST" -p "$PG_PORT" -U "$DB_USER" -d "$DB_NAME" \
        -c 'SHOW server_version' 2>/dev/null
}

pg_pidfile() { echo "$PG_DATA/postmaster.pid"; }

start_postgres() {
    local bindir
    bindir=$(pg_bindir)
    if pid_alive "$(pg_pidfile)"; then
        wait_ready "$(pg_pidfile)" pg_ready ||
            fail_with_log postgres "running but not accepting connections" "$PG_LOG"
        say "postgres $(pg_version) already running on $HOST:$PG_PORT"
        return 0
    fi
    ensure_port_free postgres "$PG_PORT"
    mkdir -p "$PG_DIR"
    chown postgres:postgres "$PG_DIR"
    # The server runs as the postgres user (it refuses root), so it must be able to reach the
    # state dir through every parent directory.
    if ! as_postgres test -w "$PG_DIR"; then
        fail_with_log postgres "user postgres cannot write $PG_DIR (check parent permissions)"
    fi
    if [[ ! -s $PG_DATA/PG_VERSION ]]; then
        # Local socket connections (used only for the setup below) trust the OS user; TCP
        # connections need a password, as they will in production.
        as_postgres "$bindir/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
            --auth-local=peer --auth-host=scram-sha-256 >"$PG_DIR/initdb.log" 2>&1 ||
            fail_with_log postgres "initdb failed" "$PG_DIR/initdb.log"
        echo "include_if_exists = 'hazelnut.conf'" >>"$PG_DATA/postgresql.conf"
    fi
    as_postgres mkdir -p "$PG_RUN"
    # Rewritten on every start so that edits here reach existing data dirs.
    as_postgres tee "$PG_DATA/hazelnut.conf" >/dev/null <<EOF
# Written by scripts/services.sh on each start; edit the script, not this file.
listen_addresses = '$HOST'
port = $PG_PORT
unix_socket_directories = '$PG_RUN'
logging_collector = off
# This cluster holds only development and test data: trading crash safety for speed makes
# test database setup and every commit much faster on a small VM.
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    as_postgres "$bindir/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -s -w -t "$TIMEOUT" start ||
        fail_with_log postgres "server did not start" "$PG_LOG"
    wait_ready "$(pg_pidfile)" pg_ready ||
        fail_with_log postgres "server did not accept TCP connections" "$PG_LOG"
    pg_admin <<SQL || fail_with_log postgres "creating role/database failed" "$PG_LOG"
SELECT format('CREATE ROLE %I LOGIN CREATEDB PASSWORD %L', '$DB_USER', '$DB_PASSWORD')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', '$DB_NAME', '$DB_USER')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$DB_NAME') \gexec
SQL
    say "postgres $(pg_version) ready on $HOST:$PG_PORT"
}

stop_postgres() {
    if ! pid_alive "$(pg_pidfile)"; then
        say "postgres stopped (was not running)"
        return 0
    fi
    # Fast shutdown: a plain SIGTERM ("smart") would wait for every idle test connection.
    as_postgres "$(pg_bindir)/pg_ctl" -D "$PG_DATA" -s -m fast -w -t 60 stop
    say "postgres stopped"
}

status_postgres() {
    if pid_alive "$(pg_pidfile)" && pg_ready; then
        say "postgres    ok    PostgreSQL $(pg_version) on $HOST:$PG_PORT"
    else
        say "postgres    down"
        return 1
    fi
}

# ------------------------------------------------------------------------------------------
# Redis
# ------------------------------------------------------------------------------------------

REDIS_DIR="$STATE/redis"
REDIS_PID="$REDIS_DIR/redis.pid"
REDIS_LOG="$REDIS_DIR/redis.log"

redis_ready() { [[ $(redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; }

redis_version() {
    redis-cli -h "$HOST" -p "$REDIS_PORT" info server | tr -d '\r' |
        sed -n 's/^redis_version://p'
}

start_redis() {
    if pid_alive "$REDIS_PID"; then
        wait_ready "$REDIS_PID" redis_ready ||
            fail_with_log redis "running but not answering PING" "$REDIS_LOG"
        say "redis $(redis_version) already running on $HOST:$REDIS_PORT"
        return 0
    fi
    ensure_port_free redis "$REDIS_PORT"
    mkdir -p "$REDIS_DIR/data"
    cat >"$REDIS_DIR/redis.conf" <<EOF
# Written by scripts/services.sh on each start; edit the script, not this file.
bind $HOST
port $REDIS_PORT
protected-mode yes
daemonize no
pidfile $REDIS_PID
logfile $REDIS_LOG
dir $REDIS_DIR/data
# Snapshots are enough for development data; the application treats Redis as rebuildable.
appendonly no
# Redis rewrites its process title; keeping the config path in it lets the pid check tell
# our server from an unrelated process that inherited a stale pid.
proc-title-template "{title} {listen-addr} {config-file}"
EOF
    # Run in the foreground under our own detaching wrapper, like the others, so that one pid
    # file convention covers every service.
    rm -f "$REDIS_PID"
    spawn_daemon "$REDIS_PID" "$REDIS_DIR/redis.out" redis-server "$REDIS_DIR/redis.conf"
    wait_ready "$REDIS_PID" redis_ready ||
        fail_with_log redis "server did not answer PING" "$REDIS_LOG" "$REDIS_DIR/redis.out"
    say "redis $(redis_version) ready on $HOST:$REDIS_PORT"
}

stop_redis() { stop_pid redis "$REDIS_PID"; }

status_redis() {
    if pid_alive "$REDIS_PID" && redis_ready; then
        say "redis       ok    Redis $(redis_version) on $HOST:$REDIS_PORT"
    else
        say "redis       down"
        return 1
    fi
}

# ------------------------------------------------------------------------------------------
# ClickHouse
# ------------------------------------------------------------------------------------------

CH_DIR="$STATE/clickhouse"
CH_PID="$CH_DIR/clickhouse.pid"
CH_LOG="$CH_DIR/clickhouse-server.log"
CH_ERR="$CH_DIR/clickhouse-server.err.log"

ch_query() {
    clickhouse-client --host "$HOST" --port "$CH_TCP_PORT" --query "$1"
}

ch_ready() { [[ $(ch_query 'SELECT 1' 2>/dev/null) == 1 ]]; }

start_clickhouse() {
    if pid_alive "$CH_PID"; then
        wait_ready "$CH_PID" ch_ready ||
            fail_with_log clickhouse "running but not answering queries" "$CH_ERR"
        say "clickhouse $(ch_query 'SELECT version()') already running on $HOST:$CH_TCP_PORT"
        return 0
    fi
    ensure_port_free clickhouse "$CH_TCP_PORT" "$CH_HTTP_PORT"
    mkdir -p "$CH_DIR/data" "$CH_DIR/tmp" "$CH_DIR/user_files" "$CH_DIR/format_schemas"
    # The packaged config is used as is and every machine-specific path is overridden on the
    # command line, so no file under /etc is touched and /var/lib/clickhouse stays unused.
    # listen_host also puts the interserver port (9009) on loopback.
    rm -f "$CH_PID"
    spawn_daemon "$CH_PID" "$CH_DIR/clickhouse.out" \
        clickhouse-server --config-file=/etc/clickhouse-server/config.xml -- \
        --path="$CH_DIR/data/" \
        --tmp_path="$CH_DIR/tmp/" \
        --user_files_path="$CH_DIR/user_files/" \
        --format_schema_path="$CH_DIR/format_schemas/" \
        --tcp_port="$CH_TCP_PORT" \
        --http_port="$CH_HTTP_PORT" \
        --listen_host="$HOST" \
        --logger.log="$CH_LOG" \
        --logger.errorlog="$CH_ERR" \
        --logger.level=information
    wait_ready "$CH_PID" ch_ready ||
        fail_with_log clickhouse "server did not answer a query" "$CH_ERR" "$CH_DIR/clickhouse.out"
    ch_query "CREATE DATABASE IF NOT EXISTS $DB_NAME" ||
        fail_with_log clickhouse "creating database $DB_NAME failed" "$CH_ERR"
    say "clickhouse $(ch_query 'SELECT version()') ready on $HOST:$CH_TCP_PORT (http $CH_HTTP_PORT)"
}

stop_clickhouse() { stop_pid clickhouse "$CH_PID"; }

status_clickhouse() {
    if pid_alive "$CH_PID" && ch_ready; then
        say "clickhouse  ok    ClickHouse $(ch_query 'SELECT version()') on $HOST:$CH_TCP_PORT"
    else
        say "clickhouse  down"
        return 1
    fi
}

# ------------------------------------------------------------------------------------------
# Kafka (KRaft, broker and controller in one JVM)
# ------------------------------------------------------------------------------------------

KAFKA_DIR="$STATE/kafka"
KAFKA_LIBS="$KAFKA_DIR/libs"
KAFKA_DATA="$KAFKA_DIR/data"
KAFKA_PID="$KAFKA_DIR/kafka.pid"
KAFKA_OUT="$KAFKA_DIR/kafka.out"
KAFKA_LOG="$KAFKA_DIR/logs/server.log"

# The jars are copied out of Maven's local repository once per pom change; later starts reuse
# them, so only the first start on a machine pays for the download.
fetch_kafka_libs() {
    local stamp
    stamp=$(sha256sum "$REPO/kafka/pom.xml" | cut -d ' ' -f 1)
    if [[ -f $KAFKA_LIBS/.pom-sha256 && $(cat "$KAFKA_LIBS/.pom-sha256") == "$stamp" ]]; then
        return 0
    fi
    say "kafka: fetching broker jars with maven"
    rm -rf "$KAFKA_LIBS"
    mkdir -p "$KAFKA_DIR"
    mvn -B -q -f "$REPO/kafka/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
        -DoutputDirectory="$KAFKA_LIBS" >"$KAFKA_DIR/maven.log" 2>&1 ||
        fail_with_log kafka "maven could not fetch the broker jars" "$KAFKA_DIR/maven.log"
    echo "$stamp" >"$KAFKA_LIBS/.pom-sha256"
}

kafka_java() { java -cp "$KAFKA_LIBS/*" "$@"; }

# Prints "kafka <version> (...)" once the broker serves metadata; see scripts/KafkaProbe.java.
kafka_probe() {
    kafka_java "$REPO/scripts/KafkaProbe.java" "$HOST:$KAFKA_PORT" "$1" 2>&1
}

# The probe retries inside one JVM (a JVM per attempt would cost seconds each). It runs in the
# background so that a broker dying during start-up (bad config, port race) ends the wait at once
# rather than after the full timeout. Prints the probe's line, or why it gave up.
kafka_wait_ready() {
    local out="$KAFKA_DIR/probe.out" probe
    kafka_probe "$TIMEOUT" >"$out" &
    probe=$!
    while kill -0 "$probe" 2>/dev/null; do
        if ! pid_alive "$KAFKA_PID"; then
            kill "$probe" 2>/dev/null || true
            wait "$probe" 2>/dev/null || true
            echo "broker exited during start-up"
            return 1
        fi
        sleep 0.5
    done
    local rc=0
    wait "$probe" || rc=$?
    cat "$out"
    return "$rc"
}

start_kafka() {
    fetch_kafka_libs
    local line
    if pid_alive "$KAFKA_PID"; then
        line=$(kafka_wait_ready) ||
            fail_with_log kafka "running but not ready: $line" "$KAFKA_LOG"
        say "$line already running on $HOST:$KAFKA_PORT"
        return 0
    fi
    ensure_port_free kafka "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"
    mkdir -p "$KAFKA_DIR/logs"
    sed "s|@DATA_DIR@|$KAFKA_DATA|" "$REPO/kafka/server.properties.in" >"$KAFKA_DIR/server.properties"
    if [[ ! -s $KAFKA_DATA/meta.properties ]]; then
        # Formatted with the very jars that run the broker: 4.4 storage is not readable by older
        # brokers. --standalone makes this node the sole voter of a dynamic quorum.
        local cluster_id
        cluster_id=$(kafka_java kafka.tools.StorageTool random-uuid)
        kafka_java kafka.tools.StorageTool format --standalone --cluster-id "$cluster_id" \
            --config "$KAFKA_DIR/server.properties" >"$KAFKA_DIR/format.log" 2>&1 ||
            fail_with_log kafka "storage format failed" "$KAFKA_DIR/format.log"
    fi
    rm -f "$KAFKA_PID"
    # Heap sized for one test node; the page cache gets the rest of RAM. GC flags follow the
    # ones Kafka's own start script uses.
    spawn_daemon "$KAFKA_PID" "$KAFKA_OUT" \
        java -Xms512m -Xmx1g \
        -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
        -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$REPO/kafka/log4j2.properties" \
        -Dkafka.logs.dir="$KAFKA_DIR/logs" \
        -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_DIR/server.properties"
    line=$(kafka_wait_ready) ||
        fail_with_log kafka "broker not ready: $line" "$KAFKA_OUT" "$KAFKA_LOG"
    say "$line ready on $HOST:$KAFKA_PORT"
}

stop_kafka() { stop_pid kafka "$KAFKA_PID"; }

status_kafka() {
    local line
    if pid_alive "$KAFKA_PID" && [[ -d $KAFKA_LIBS ]] && line=$(kafka_probe 10); then
        say "kafka       ok    Kafka ${line#kafka } on $HOST:$KAFKA_PORT"
    else
        say "kafka       down"
        return 1
    fi
}

# ------------------------------------------------------------------------------------------
# Commands
# ------------------------------------------------------------------------------------------

env_lines() {
    local service
    for service in "$@"; do
        case $service in
        postgres)
            say "export DATABASE_URL=postgres://$DB_USER:$DB_PASSWORD@$HOST:$PG_PORT/$DB_NAME"
            ;;
        redis) say "export REDIS_URL=redis://$HOST:$REDIS_PORT/0" ;;
        clickhouse)
            say "export CLICKHOUSE_URL=clickhouse://default:@$HOST:$CH_TCP_PORT/$DB_NAME"
            ;;
        kafka) say "export CELERY_BROKER_URL=kafka://$HOST:$KAFKA_PORT" ;;
        esac
    done
}

usage() {
    sed -n '/^# Usage:/,/^# Environment:/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

main() {
    (($# >= 1)) || usage
    local command=$1
    shift
    local -a services=("$@")
    ((${#services[@]})) || services=("${ALL_SERVICES[@]}")
    local service
    for service in "${services[@]}"; do
        case " ${ALL_SERVICES[*]} " in
        *" $service "*) ;;
        *)
            warn "unknown service '$service' (known: ${ALL_SERVICES[*]})"
            exit 2
            ;;
        esac
    done

    case $command in
    start)
        if [[ $(id -u) != 0 ]]; then
            warn "start needs root (package installs, running postgres as its own user)"
            exit 1
        fi
        mkdir -p "$STATE"
        install_missing "${services[@]}"
        for service in "${services[@]}"; do
            "start_$service"
        done
        ;;
    stop)
        for service in "${services[@]}"; do
            "stop_$service"
        done
        ;;
    status)
        local rc=0
        for service in "${services[@]}"; do
            "status_$service" || rc=1
        done
        return "$rc"
        ;;
    env) env_lines "${services[@]}" ;;
    *) usage ;;
    esac
}

main "$@"
