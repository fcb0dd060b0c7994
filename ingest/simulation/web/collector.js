/* A small web collector for the simulator's landing page: one flat JSON event per page view,
 * in the shape of section 5.1 of the SDK contract, POSTed to the page's data-endpoint.
 * First-touch values are kept forever, last-touch UTMs for 24 hours and click ids for 90 days.
 * It ends by calling window.hzCollectorDone(status) so a page can act once the event is sent. */
(function () {
  "use strict";
  var script = document.currentScript;
  var token = script && script.getAttribute("data-token");
  var endpoint = (script && script.getAttribute("data-endpoint")) || "/web/ingest";
  if (!token) return;

  var UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_id", "utm_term", "utm_content"];
  var CLICK_IDS = ["gclid", "gbraid", "wbraid", "fbclid", "fbc", "fbp", "ttclid", "twclid",
                   "msclkid", "li_fat_id", "dclid", "irclickid"];
  var DAY = 86400000;
  var params = new URLSearchParams(location.search);

  function read(store, key) {
    try { return JSON.parse(store.getItem(key)); } catch (e) { return null; }
  }
  function write(store, key, value) {
    try { store.setItem(key, JSON.stringify(value)); } catch (e) { /* storage may be off */ }
  }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, function (c) {
      var r = Math.random() * 16 | 0;
      return (c === "x" ? r : (r & 3 | 8)).toString(16);
    });
  }
  function stored(store, key, make) {
    var value = read(store, key);
    if (!value) { value = make(); write(store, key, value); }
    return value;
  }

  var now = Date.now();
  var visitor = stored(localStorage, "lr_vid", uuid);
  var session = stored(sessionStorage, "lr_sid", uuid);
  var pageCount = (read(sessionStorage, "lr_spc") || 0) + 1;
  write(sessionStorage, "lr_spc", pageCount);
  var entry = stored(sessionStorage, "lr_entry", function () { return location.href; });

  var utm = {}, fresh = UTM.some(function (k) { return params.get(k); });
  var last = read(localStorage, "lr_lt");
  if (fresh) { UTM.forEach(function (k) { utm[k] = params.get(k) || ""; }); write(localStorage, "lr_lt", {u: utm, t: now}); }
  else if (last && now - last.t < DAY) { utm = last.u; }
  var firstUtm = stored(localStorage, "lr_ft_utm", function () { return fresh ? utm : null; }) || {};

  var clicks = {}, firstClicks = {};
  CLICK_IDS.forEach(function (k) {
    var v = params.get(k);
    if (v) { write(localStorage, "lr_" + k, {v: v, t: now}); stored(localStorage, "lr_ft_" + k, function () { return {v: v, t: now}; }); }
    var kept = read(localStorage, "lr_" + k), first = read(localStorage, "lr_ft_" + k);
    clicks[k] = kept && now - kept.t < 90 * DAY ? kept.v : "";
    firstClicks["ft_" + k] = first ? first.v : "";
  });

  function classify(u, ids) {
    if (ids.gclid || ids.gbraid || ids.wbraid) return ["paid_search", "google"];
    if (ids.fbclid) return ["paid_social", "meta"];
    if (ids.msclkid) return ["paid_search", "microsoft"];
    if (ids.ttclid) return ["paid_social", "tiktok"];
    var medium = (u.utm_medium || "").toLowerCase(), source = u.utm_source || "unknown";
    if (/^(cpc|ppc|paidsearch|paid_search|sem)$/.test(medium)) return ["paid_search", source];
    if (/^(cpm|display|banner)$/.test(medium)) return ["paid_display", source];
    if (/^(email|e-mail)$/.test(medium)) return ["email", source];
    if (/^(social|social-media|paid_social|paidsocial)$/.test(medium)) return ["social", source];
    if (medium === "affiliate") return ["paid_affiliate", source];
    if (medium && u.utm_source) return ["campaign", source];
    if (document.referrer) return ["referral", new URL(document.referrer).hostname];
    return ["direct", "direct"];
  }
  var traffic = classify(utm, clicks);
  var firstTraffic = stored(localStorage, "lr_ft_ts", function () { return traffic; });
  var ua = navigator.userAgent;
  var canonical = document.querySelector("link[rel=canonical]");
  var connection = navigator.connection || {};

  var event = {
    token: token, event_id: uuid(), event_type: "page_view", event_name: "", event_data: "",
    visitor_id: visitor, session_id: session, user_id: read(localStorage, "lr_uid") || "",
    is_new_visitor: 0,
    page_url: location.href, page_path: location.pathname, page_title: document.title,
    page_hash: location.hash, page_search: location.search,
    document_referrer: document.referrer,
    referring_domain: document.referrer ? new URL(document.referrer).hostname : "",
    canonical_url: canonical ? canonical.href : "",
    screen_width: screen.width, screen_height: screen.height, screen_color_depth: screen.colorDepth,
    viewport_width: innerWidth, viewport_height: innerHeight, device_pixel_ratio: devicePixelRatio,
    language: navigator.language || "", languages: JSON.stringify(navigator.languages || []),
    platform: navigator.platform || "",
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || "",
    timezone_offset: new Date().getTimezoneOffset(),
    connection_type: connection.effectiveType || "", cookies_enabled: navigator.cookieEnabled ? 1 : 0,
    do_not_track: navigator.doNotTrack || "", touch_support: navigator.maxTouchPoints > 0 ? 1 : 0,
    hardware_concurrency: navigator.hardwareConcurrency || 0, device_memory: navigator.deviceMemory || 0,
    user_agent: ua, session_page_count: pageCount, entry_page: entry,
    traffic_source_type: traffic[0], traffic_source_name: traffic[1],
    ft_traffic_source_type: firstTraffic[0], ft_traffic_source_name: firstTraffic[1],
    is_bot: /bot|crawl|spider|headless/i.test(ua) || navigator.webdriver ? 1 : 0,
    client_timestamp: new Date().toISOString()
  };
  UTM.forEach(function (k) { event[k] = utm[k] || ""; event["ft_" + k] = firstUtm[k] || ""; });
  CLICK_IDS.forEach(function (k) { event[k] = clicks[k]; event["ft_" + k] = firstClicks["ft_" + k]; });

  function timing() {
    var nav = performance.getEntriesByType && performance.getEntriesByType("navigation")[0];
    if (!nav) return;
    event.page_load_time = Math.round(nav.loadEventEnd || nav.duration);
    event.dom_content_loaded = Math.round(nav.domContentLoadedEventEnd);
    event.dns_lookup_time = Math.round(nav.domainLookupEnd - nav.domainLookupStart);
    event.tcp_connection_time = Math.round(nav.connectEnd - nav.connectStart);
    event.ttfb = Math.round(nav.responseStart - nav.requestStart);
    event.dom_interactive = Math.round(nav.domInteractive);
  }
  function send() {
    timing();
    fetch(endpoint, {method: "POST", keepalive: true, headers: {"Content-Type": "application/json"},
                     body: JSON.stringify(event)})
      .then(function (r) { return r.status; }, function () { return 0; })
      .then(function (status) { if (window.hzCollectorDone) window.hzCollectorDone(status); });
  }
  if (document.readyState === "complete") setTimeout(send, 100);
  else addEventListener("load", function () { setTimeout(send, 100); });
})();
