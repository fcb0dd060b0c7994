"""A traffic simulator for a project: a day of devices clicking campaign links, installing the app
from a store and using it, sent through the public HTTP API like real SDKs and browsers would.

`manage.py simulate` (and `make demo`) drive it; bench/s6_end_to_end.py reuses its traffic. The
package stages what the traffic needs in the database (campaigns with network ids, a Meta
referrer key, network accounts aimed at local fakes), runs local fakes for Apple's AdServices API
and the ad networks' postback endpoints, sends the traffic, waits for the pipeline to drain and
reports what the platform made of it. It is a development tool: nothing in production imports it.
"""
