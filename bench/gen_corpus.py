#!/usr/bin/env python3
"""Generate a deterministic synthetic incident knowledge base for benchmarking `kb`.

    python3 bench/gen_corpus.py N OUTDIR [--seed S] [--long-tail] [--shape NAME]

Writes OUTDIR/site.toml and OUTDIR/content/YYYY/YYYY-MM-DD-<slug>-<n>.md: N postmortems with
YAML frontmatter following the data model (docs/writing.md) (also readable by Hugo: `date` is a
plain YYYY-MM-DD, `tags` and `services` are lists) and a ~700-word Markdown body.

--long-tail gives the text a realistic open vocabulary. Without it the bodies come from
templates and have ~2k distinct words whatever N is (real postmortems: most words are rare).
With it, each incident also gets: a prose sentence in the body summary (60%) and in the
frontmatter summary (50%), an extra symptom (40%), a log excerpt in the Discussion (60%, 3-6
lines with hosts, pods, hex ids, error codes, numbers) and 1-2 prose paragraphs there, which
replace template Discussion paragraphs so the body stays ~700 words. Their words come from
lexicons that map a rank to a fixed string (real technical words at the top ranks, then
pseudo-words of 3-12 letters from English-like syllables, many of them -s/-ed/-ing/-tion/...
forms of a more frequent pseudo-word, so stemming merges families as on real text) and are
drawn with a Zipf law: exponent 1.05 over the frequent ranks, steepening to 1.9 in the far tail
as large English corpora do, which gives Heaps-like growth (~20k distinct words at 1k
incidents, ~70k at 10k, ~200k at 100k; about half of them in a single document; measured
figures in bench/README.md). The long-tail text uses its own RNG, so file names, ids, titles,
every frontmatter field but `summary` and `symptoms` (which only gain text) and the template
text outside the Discussion are the same as without the flag. Without the flag the output is
byte-identical to the generator before the flag existed.

--shape NAME rewrites some fields, from its own RNG, to a shape real knowledge bases have and
the templates hide (everything else is as without it): `near-duplicate` (3-6 lessons per
incident and every action item title drawn as a variant of 40 themes written from 120 words,
some swapped, some added: near-duplicates, rarely identical; 1-3 of 6 tags), `tag-skew` (1-2 of
5 tags with thousands of incidents each, and a tag of its own: many tags with one incident),
`long-bodies` (an appendix of 8 tables of 40 rows and 8 code blocks of 30 lines, ~6,000 words),
`wide-tags` (50 tags each, from 500). Without it the output is byte-identical to the generator
before the option existed.

Same N, seed and flag -> byte-identical output (only `random.Random(seed)`, a fixed integer
hash, lists and sorted data are used; no set/dict iteration over hashed strings, no clock, no
environment). Python 3.11 stdlib only.
Files already in OUTDIR/content that this run would not write are removed, so a re-run with a
smaller N does not leave stale incidents behind.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import itertools
import json
import os
import random
import re
import sys

# --------------------------------------------------------------------------------------------
# Vocabularies
# --------------------------------------------------------------------------------------------

# ~60 tags, most popular first: picked with a Zipf-like weight 1 / rank^1.1.
TAGS = [
    "database", "kubernetes", "networking", "deploy", "config", "dns", "latency", "capacity",
    "replication", "feature-flags", "certificates", "storage", "cache", "load-balancer", "queue",
    "authentication", "monitoring", "third-party", "cdn", "payments", "memory-leak", "disk-full",
    "rate-limiting", "timeouts", "retries", "data-loss", "security", "backups", "ci-cd", "terraform",
    "mysql", "postgres", "redis", "kafka", "elasticsearch", "aws", "gcp", "azure", "vpn", "ntp",
    "cron", "batch-jobs", "search", "email", "sms", "mobile", "api-gateway", "service-mesh",
    "observability", "alerting", "on-call", "runbooks", "migration", "schema-change", "cost",
    "compliance", "billing", "identity", "logging", "rollback",
]

# Tags described in site.toml: (tag, description, aliases, match phrases)
SITE_TAGS = [
    ("replication", "Primaries, replicas, binlogs, lag and failover",
     ["replica", "replicas", "replication-lag"], ["replica", "binlog", "replication lag"]),
    ("feature-flags", "Flags, rollouts and kill switches",
     ["feature-flag", "feature flags", "flags"], ["feature flag", "kill switch"]),
    ("certificates", "TLS certificates, expiry and rotation",
     ["tls", "certs", "ssl"], ["certificate", "tls handshake"]),
    ("kubernetes", "Clusters, nodes, pods and controllers",
     ["k8s", "kube"], ["pod", "kubelet", "crashloop"]),
    ("dns", "Resolvers, zones and records",
     ["resolver", "coredns"], ["nxdomain", "dns"]),
    ("deploy", "Releases, rollouts and deploy pipelines",
     ["deployment", "deploys", "release"], ["rollout", "canary"]),
    ("database", "Relational and document databases",
     ["db", "databases"], ["deadlock", "connection pool"]),
    ("memory-leak", "Memory growth and OOM kills",
     ["oom", "memory"], ["oomkilled", "out of memory"]),
]
TAG_ALIASES = {t: a for t, _, a, _ in SITE_TAGS}

SERVICE_PREFIXES = [
    "checkout", "payments", "billing", "search", "catalog", "inventory", "orders", "shipping",
    "identity", "auth", "sessions", "profile", "notifications", "email", "sms", "recommendations",
    "pricing", "ledger", "fraud", "reporting", "analytics", "ingest", "export", "media",
    "thumbnails", "uploads", "gateway", "edge", "cdn", "scheduler", "cron", "webhooks",
    "feature-flags", "config", "secrets", "dns", "metrics", "logging", "tracing", "ci",
]
SERVICE_SUFFIXES = ["api", "worker", "db", "service", "proxy", "cache", "stream", "frontend"]


def _services() -> list[str]:
    rng = random.Random("services")
    out: list[str] = []
    for p in SERVICE_PREFIXES:
        for s in rng.sample(SERVICE_SUFFIXES, 2):
            out.append(f"{p}-{s}")
    return out  # 80


SERVICES = _services()

FIRST_NAMES = [
    "Alice", "Bruno", "Chen", "Dana", "Emeka", "Fatima", "Gustav", "Hana", "Ines", "Jonas",
    "Kiran", "Lena", "Mateo", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Sven", "Tariq",
    "Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zoe", "Amara", "Bjorn", "Carmen", "Dmitri",
]
LAST_NAMES = [
    "Andersen", "Brown", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Hansen", "Ito",
    "Jensen", "Kowalski", "Larsen", "Moreau", "Nakamura", "Okafor", "Petrov", "Quinn", "Rossi",
    "Schmidt", "Tanaka", "Ueda", "Varga", "Weber", "Xu", "Yilmaz", "Zimmermann",
]


def _people() -> list[str]:
    rng = random.Random("people")
    combos = [f"{f} {l}" for f in FIRST_NAMES for l in LAST_NAMES]
    return rng.sample(combos, 48)


PEOPLE = _people()
TEAMS = [
    "SRE", "platform", "database reliability", "networking", "payments", "identity", "search",
    "data platform", "mobile", "frontend", "developer productivity", "security", "storefront",
    "logistics", "observability", "billing",
]
REGIONS = ["eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-southeast-1", "ap-northeast-1"]
COMPONENTS = [
    "connection pool", "primary database", "read replica", "ingress controller", "load balancer",
    "message broker", "consumer group", "cache cluster", "DNS resolver", "service mesh sidecar",
    "autoscaler", "job scheduler", "object store bucket", "TLS terminator", "rate limiter",
    "circuit breaker", "health check", "deploy pipeline", "feature flag service", "config map",
    "node pool", "NAT gateway", "VPN tunnel", "CDN edge", "search cluster", "write-ahead log",
    "binlog stream", "kubelet", "etcd cluster", "secrets manager", "batch job", "cron job",
    "API gateway", "session store", "thread pool", "disk volume", "JVM heap", "retry queue",
]
METRICS = [
    "p99 latency", "error rate", "CPU utilisation", "memory usage", "queue depth",
    "replication lag", "connection count", "disk usage", "request rate", "GC pause time",
    "cache hit ratio", "consumer lag", "open file descriptors", "5xx ratio", "saturation",
]
ERRORS = [
    "HTTP 503 Service Unavailable", "HTTP 502 Bad Gateway", "connection refused",
    "context deadline exceeded", "too many connections", "OOMKilled", "CrashLoopBackOff",
    "x509: certificate has expired", "NXDOMAIN", "read timeout", "deadlock detected",
    "no space left on device", "Lock wait timeout exceeded", "SSL handshake failed",
    "upstream connect error", "429 Too Many Requests", "replica SQL thread stopped",
    "ERROR 1205", "broken pipe", "permission denied", "invalid token", "ImagePullBackOff",
]
TOOLS = [
    "Grafana", "PagerDuty", "Datadog", "Prometheus", "Kibana", "Sentry", "Opsgenie", "Statuspage",
    "the runbook", "kubectl", "Terraform", "ArgoCD", "Jenkins", "the admin console", "pt-kill",
]
TRIGGERS = [
    ("config-change", "a configuration change"), ("deploy", "a routine deploy"),
    ("feature-flag", "a feature flag rollout"), ("manual-operation", "a manual operation"),
    ("third-party", "a third-party outage"), ("traffic-spike", "an unexpected traffic spike"),
    ("certificate-expiry", "an expired certificate"), ("dependency-upgrade", "a dependency upgrade"),
    ("schema-migration", "a schema migration"), ("hardware-failure", "a hardware failure"),
    ("capacity", "gradual capacity exhaustion"), ("unknown", "an unidentified trigger"),
]
TRIGGER_WEIGHTS = [18, 22, 9, 10, 8, 7, 4, 6, 5, 4, 5, 2]
SEVERITIES = ["SEV1", "SEV2", "SEV3", "SEV4"]
SEVERITY_WEIGHTS = [8, 22, 40, 30]
DETECTION_METHODS = ["alert", "customer-report", "internal-report", "synthetic", "other"]
DETECTION_WEIGHTS = [55, 18, 14, 10, 3]
IMPACT_CATEGORIES = ["availability", "latency", "data-integrity", "security", "cost",
                     "correctness", "degraded-experience"]
CF_CATEGORIES = ["process", "technical", "human", "monitoring", "capacity", "dependency",
                 "documentation", "testing"]
AI_STATUSES = ["open", "in-progress", "done", "wont-do"]
AI_STATUS_WEIGHTS = [25, 15, 55, 5]
AI_TYPES = ["prevent", "detect", "mitigate", "process", "other"]
AI_TYPE_WEIGHTS = [35, 25, 20, 15, 5]
OFFSETS = [0, 0, 0, 60, 60, 120, -300, -240, -420, 330, 540, 600]  # minutes

# Symptom templates (what responders saw).
SYMPTOMS = [
    "{error} from {svc}", "{metric} on {svc} above {n}x baseline", "{svc} pods in {error2}",
    "alert {Alert} firing for {svc}", "replica SQL thread stopped on {svc}",
    "HTTP 503 from all services behind the {component}", "checkout conversion dropped {pct}%",
    "{svc} health checks failing in {region}", "queue depth growing on {svc}",
    "customers unable to log in", "elevated {metric} in {region}", "{svc} returning stale data",
    "disk usage at 100% on {svc}", "consumer lag above {n}0 minutes on {svc}",
    "intermittent {error} on {svc}", "synthetic check for {svc} failing",
]
ALERT_WORDS = ["High", "Elevated", "Critical", "Sustained", "Spike"]
ALERT_NOUNS = ["ErrorRate", "Latency", "QueueDepth", "ReplicationLag", "DiskUsage",
               "MemoryUsage", "5xxRatio", "ConsumerLag", "PodRestarts", "CertExpiry"]

TITLE_TEMPLATES = [
    "{Outage} of {svc} after {trigger}", "{Outage} on {svc} in {region}",
    "{svc} {error} caused by {component} {failure}", "{Outage} of {svc} and {svc2}",
    "{component_cap} {failure} took down {svc}", "{svc} degraded during {trigger}",
    "Partial {outage} of {svc} due to {component} {failure}", "{Metric} spike on {svc}",
    "{svc} unavailable for customers in {region}", "Data delay in {svc} after {trigger}",
]
OUTAGES = ["outage", "degradation", "disruption", "slowdown", "partial outage", "incident"]
FAILURES = ["exhaustion", "misconfiguration", "failure", "saturation", "failover", "crash",
            "overload", "expiry", "regression", "split-brain", "memory leak"]

SUMMARY_SENTENCES = [
    "On {weekday} {date_long}, {trigger} caused {svc} to return {error} for roughly {dur}.",
    "Between {t_start} and {t_mitigated} {tz}, {pct}% of requests to {svc} failed or timed out.",
    "The {team} team was paged by {tool} {ttd} after the first errors appeared.",
    "Customers in {region} saw slow page loads and failed checkouts while the {component} was degraded.",
    "The immediate cause was {component} {failure} on {svc}, which cascaded into {svc2}.",
    "Responders mitigated the impact by {mitigation} and the service recovered shortly after.",
    "No data was lost, but {n} thousand requests had to be retried by clients.",
    "This was the {ordinal} incident involving the {component} this quarter.",
    "Dependent services, including {svc2}, degraded gracefully thanks to their circuit breakers.",
    "The incident was declared {sev} once it became clear that {svc} could not serve writes.",
    "Internal dashboards continued to report healthy status for most of the incident, which delayed diagnosis.",
    "A status page update was published {n} minutes into the incident and updated every half hour.",
    "Full recovery took longer than mitigation because the {component} needed to rebuild its state.",
    "Support received {n}0 tickets from customers reporting {error_lower} errors.",
]
MITIGATIONS = [
    "rolling back the deploy", "disabling the feature flag", "failing over to the standby",
    "scaling out the {component}", "restarting the affected pods", "reverting the config change",
    "draining traffic from {region}", "raising the connection limit", "purging the cache",
    "renewing the certificate", "pausing the batch job", "blocking the abusive client",
    "increasing the disk volume", "rebuilding the replica from a snapshot",
]
TIMELINE_INVESTIGATING = [
    "Incident channel opened and {sev} declared", "{team} team joins the investigation",
    "First customer reports arrive through support", "Status page updated: investigating",
    "{metric} on {svc} identified as anomalous", "Suspect change identified: {trigger}",
    "Attempted restart of {svc} does not help", "Traffic shifted away from {region}",
    "Root cause confirmed in {component} logs", "Database team confirms {component} {failure}",
    "Decision to roll back instead of fix forward", "Escalated to the {team} team lead",
    "{tool} shows {metric} still rising on {svc2}", "Incident commander hands over to {team}",
]
TIMELINE_RECOVERING = [
    "Error rate returns to baseline", "{svc2} consumers start catching up",
    "Status page updated: monitoring", "Backlog on {svc} fully drained",
    "Incident closed, follow-up review scheduled", "Customer support informed of recovery",
    "Replica for {svc} rebuilt and back in rotation", "Temporary capacity removed again",
]
IMPACT_SENTENCES = [
    "{pct}% of requests to {svc} failed or timed out.",
    "Customers in {region} saw slow page loads and failed checkouts.",
    "Writes to {svc} were rejected; reads were served from a stale cache.",
    "Background processing in {svc} was delayed by up to {dur}.",
    "Users could not log in or refresh their sessions.",
    "Notifications from {svc2} were delayed; none were lost.",
    "Internal tooling only; no customer-facing impact.",
]
CF_SENTENCES = [
    "The {component} on {svc} had no alert on {metric}, so saturation went unnoticed for {dur}.",
    "A default timeout of {n} seconds in {svc} turned a slow dependency into a full outage.",
    "The change was tested in staging, where {svc2} runs with a fraction of production traffic.",
    "The runbook for the {component} described a procedure that no longer matched production.",
    "Retries from {svc2} without backoff multiplied the load on {svc} by roughly {n}x.",
    "Capacity planning for the {component} had not been revisited since the {region} migration.",
    "The deploy pipeline did not include a canary stage for {svc}.",
    "Ownership of the {component} was unclear after the {team} team reorganisation.",
    "A health check that only tested process liveness kept sending traffic to broken instances.",
    "The {component} configuration was copied by hand between environments and drifted.",
    "Alerts for {svc} were routed to a channel that nobody watched outside office hours.",
    "A single {component} was shared by {svc} and {svc2}, so one saturated the other.",
    "The certificate rotation job had been failing silently for weeks.",
    "Schema changes on large tables were run without an online migration tool.",
    "Feature flag defaults differed between the SDK versions used by {svc} and {svc2}.",
    "Logs from the {component} were sampled, which hid the first errors.",
]
CF_DETAIL = [
    "This had been flagged in a previous review but the action item was never prioritised.",
    "Nobody on the incident call knew the {component} well enough to rule it out quickly.",
    "The same pattern appears in at least two earlier postmortems.",
    "Load tests did not cover this path because it only runs during {period}.",
    "Dashboards aggregated all regions, which hid the problem in {region}.",
]
AI_TITLES = [
    "Add an alert on {metric} for the {component}", "Add a canary stage to the {svc} deploy pipeline",
    "Set explicit timeouts and retry budgets in {svc}", "Update the runbook for {component} failover",
    "Load test {svc} at {n}x current peak", "Move {svc} to a dedicated {component}",
    "Automate certificate rotation for {svc}", "Add a readiness probe that checks dependencies of {svc}",
    "Document ownership of the {component}", "Run a game day for {component} {failure}",
    "Alert when the {component} backup has not completed in 24 hours",
    "Route {svc} alerts to the {team} on-call rotation", "Adopt an online schema migration tool",
    "Add synthetic checks for {svc} in {region}", "Review capacity of the {component} quarterly",
    "Manage {component} configuration in Terraform", "Add backoff and jitter to {svc2} retries",
]
LESSONS_WELL = [
    "The incident channel and roles were set up within minutes.",
    "Rolling back was fast because the previous release was still cached on every node.",
    "Customer support had a clear status update to share early on.",
    "The {team} team joined quickly and knew the {component} well.",
    "Circuit breakers in {svc2} contained the blast radius.",
    "Clear communication on the status page reduced support load.",
]
LESSONS_WRONG = [
    "It took {ttd} to detect an outage that customers noticed immediately.",
    "The runbook for the {component} was out of date.",
    "Several responders investigated the same hypothesis in parallel without knowing it.",
    "Alerts fired for symptoms in {svc2} rather than for the cause in {svc}.",
    "Access to the production {component} required an approval that nobody on call could give.",
    "We did not know which change had gone out last.",
]
LESSONS_LUCKY = [
    "The incident happened outside peak hours for {region}.",
    "An engineer who had built the {component} happened to be online.",
    "A recent backup existed by coincidence because of an unrelated migration.",
    "The faulty config had only reached one region before the rollout paused.",
]
LESSONS_PLAIN = [
    "Alert on the cause, not only on the symptoms downstream of it.",
    "Every dependency call needs an explicit timeout and a retry budget.",
    "Shared infrastructure needs a named owner and a capacity review.",
    "Configuration changes deserve the same canary process as code deploys.",
    "Runbooks rot unless they are exercised in game days.",
    "Dashboards should break metrics down by region and by dependency.",
    "Rolling back first and investigating second shortens incidents.",
    "Silent failures in background jobs need their own alerts.",
    "Load tests must include the retry behaviour of clients.",
    "Knowing what changed recently is the fastest path to a root cause.",
]
PARAGRAPH_FILLER = [
    "During the investigation the team initially suspected {svc2}, because its dashboards showed the same spike in {metric}, but the spike turned out to be a consequence rather than the cause.",
    "Engineers compared the {component} configuration in {region} with the other regions and found that a value had been changed by {trigger_short} earlier that day.",
    "Because the {component} is shared, the blast radius extended beyond {svc}, and the {team} team had to coordinate with several other teams before any change could be made.",
    "Metrics from {tool} showed {metric} climbing steadily for about {dur} before the first alert, which suggests that earlier detection would have been possible with a trend-based alert.",
    "Once traffic was shifted away from the affected instances, latency dropped back to normal within a few minutes and the backlog drained over the following hour.",
    "The team decided not to fix forward during the incident, since the code path was not well understood and a rollback was known to be safe.",
    "Communication with customers went through the status page and the support team, with updates roughly every {n} minutes until the incident was resolved.",
    "A later review of the logs showed that {error_lower} errors had been appearing sporadically for several days, well below the alerting threshold.",
]
PERIODS = ["end-of-month billing runs", "the nightly batch window", "Black Friday", "quarter close",
           "marketing campaigns", "the weekly reindex"]
ORDINALS = ["second", "third", "fourth", "first"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]

FIELD_RE = re.compile(r"\{([a-zA-Z_0-9]+)\}")


def _zipf_cum(n: int, s: float) -> list[float]:
    return list(itertools.accumulate(1.0 / (i + 1) ** s for i in range(n)))


TAG_CUM = _zipf_cum(len(TAGS), 1.1)
SERVICE_CUM = _zipf_cum(len(SERVICES), 0.8)


def pick_distinct(rng: random.Random, items: list[str], cum: list[float], k: int) -> list[str]:
    out: list[str] = []
    while len(out) < k:
        x = items[bisect.bisect(cum, rng.random() * cum[-1])]
        if x not in out:
            out.append(x)
    return out


def slugify(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")


def q(s: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(s)


def fmt_dur(minutes: int) -> str:
    if minutes < 60:
        return f"{minutes} minutes"
    h, m = divmod(minutes, 60)
    if h >= 24:
        d, h = divmod(h, 24)
        return f"{d} days {h} hours" if h else f"{d} days"
    return f"{h}h {m:02d}m" if m else f"{h} hours"


# --------------------------------------------------------------------------------------------
# Long-tail vocabulary (--long-tail)
# --------------------------------------------------------------------------------------------
# The templates above give a few thousand distinct words however large N is. With --long-tail,
# prose sentences, log excerpts and extra symptoms are mixed in whose words come from open-ended
# lexicons: a fixed map rank -> word (real technical words at the most frequent ranks, then
# pseudo-words built from English-like syllables, some of them inflected forms of more frequent
# pseudo-words, so stemming merges them as on real text) sampled with a Zipf law. The lexicons do
# not depend on the seed (one "language"); only which words are drawn does.

# Real words for the head of the word lexicon: the j-th sits at rank j * (1 + j // 50), so the
# first 50 are the most frequent tail words and the rest are spread over the first ~4k ranks.
TAIL_REAL_WORDS = """
request server client worker thread socket packet process buffer cluster shard leader quorum
offset topic broker consumer producer schema index query transaction mutex semaphore deadline
budget backoff jitter throttle proxy ingress egress firewall subnet route tunnel resolver record
zone handshake cipher token session cookie header payload endpoint webhook callback handler
middleware controller operator daemon agent sidecar container image registry manifest volume
mount snapshot restore archive bucket blob chunk segment compaction tombstone vacuum checkpoint
journal cursor iterator artifact rollout version upgrade downgrade hotfix backfill reindex
rebalance fallback heartbeat lease election consensus throughput bandwidth customer invoice
warehouse shipment vendor contract weekend morning evening holiday estimate hypothesis evidence
signal threshold anomaly plateau drift burst storm cascade thundering herd stampede starvation
contention fragmentation corruption truncation overflow rounding encoding unicode locale
timezone daylight clock kernel syscall descriptor inode filesystem partition raid controller
firmware bios hypervisor instance autoscaling spot preemption quota limit entitlement tenant
namespace label selector affinity toleration taint eviction scheduler daemonset statefulset
deployment replicaset cronjob configmap secret serviceaccount binding role policy permission
audit compliance retention purge tombstoned ttl expiry renewal issuer chain bundle keystore
truststore vault rotation credential password username login signup checkout basket wishlist
coupon discount refund chargeback settlement reconciliation ledger batch nightly hourly report
export import parser serializer protobuf json yaml xml csv gzip snappy zstd compression
decompression checksum hash digest signature nonce replay idempotency dedupe duplicate ordering
sequence watermark window aggregation rollup downsampling cardinality histogram percentile
gauge counter exporter scrape federation dashboard panel annotation silence inhibit escalation
rotation handover pager shadow primary secondary standby arbiter witness fencing stonith
split brain flapping oscillation hysteresis cooldown warmup preload prefetch eviction lru
memcached varnish nginx haproxy envoy istio linkerd consul etcd zookeeper vitess proxysql
pgbouncer patroni orchestrator debezium flink spark airflow dbt snowflake bigquery redshift
clickhouse cassandra scylla mongodb dynamo cosmos spanner cockroach opensearch solr lucene
rabbitmq nats pulsar kinesis pubsub sqs sns lambda fargate ecs eks gke aks helm kustomize
argo flux spinnaker buildkite github gitlab bitbucket artifactory nexus sonar dependabot
renovate semver changelog tag branch merge rebase revert cherry squash commit pipeline runner
executor agentless bastion jumpbox vpc peering transit attachment endpointslice nodeport
hostport daemon systemd journald rsyslog fluentd fluentbit vector logstash filebeat otel
jaeger zipkin tempo loki mimir thanos cortex victoria alertmanager oncall roster runbook
playbook postmortem retrospective blameless timeline chronology hindsight mitigation
remediation workaround regression bisect flaky nondeterministic race condition livelock
deadlock reentrancy reentrant threadpool goroutine coroutine async await promise future
callbackhell backpressure bulkhead sharding resharding hotspot skewed tenantless multitenant
""".split()
TAIL_REAL_WORDS = list(dict.fromkeys(TAIL_REAL_WORDS))  # drop repeats, keep the order

# Function words for the prose (glue between lexicon words; no vocabulary growth).
OPENERS = ["The", "The", "The", "A", "During the", "After the", "Before the", "Because the",
           "When the", "Our", "Several", "Two", "This", "Later the", "Meanwhile the", "Some",
           "Most", "Each", "Only the", "Then the"]
# Chunks of a sentence; W = word, I = code identifier, C = error code, H = host, P = pod,
# X = hex id, N = number, S = service.
PROSE_CHUNKS = [
    "W", "W", "W", "W W", "the W", "the W", "the W W", "a W", "of the W", "of W", "in the W",
    "was W", "were W", "had W", "and W", "and the W", "to W", "to W the W", "with W",
    "with the W W", "on H", "for the W", "by W", "that W", "from S", "after the W", "into W",
    "as W", "while the W was W", "when I W", "C in the W", "about N W", "W of I", "is W",
    "not W", "but the W", "which W", "so the W", "because W W", "on P", "at W", "than W",
    "under W", "between W and W", "until the W", "W X",
]
# (template with {W}-style fields, number of fields)
PROSE_CHUNK_TEMPLATES = [(re.sub(r"\b([WICHPXNS])\b", r"{\1}", c),
                          sum(len(t) == 1 and t.isupper() for t in c.split())) for c in PROSE_CHUNKS]
HOST_PREFIXES = ["db", "web", "api", "worker", "cache", "kafka", "node", "redis", "es", "mq",
                 "lb", "bastion", "etl", "batch", "mysql", "pg", "vault", "build", "edge", "proxy"]
LOG_LEVELS = ["ERROR", "ERROR", "WARN", "WARN", "INFO", "FATAL", "CRITICAL", "DEBUG"]
LOG_LINES = [
    "{T} {H} {S}[{N}]: {L} {W} {W}: {W} {W} {W}",
    "{T} {L} [{I}] {W} {W} failed after {N}ms req_id={X}",
    "{T} {P} {L} {C}: {W} {W} {W} on {H}",
    "{T} {H} kernel: {W} {W} {W} pid {N}",
    "{T} {L} {I}: {W} {W} {X} ({C}) upstream={H}",
    "{T} {H} {S}: {L} {W} {W} {W} latency_ms={N} status={C}",
    "{T} {P} {L} retrying {W} {W} attempt={N} err=\"{C}\"",
]
LOG_INTROS = ["Log excerpt from {H}:", "Relevant lines from the {S} logs:",
              "The {W} logs on {H} showed:", "Excerpt from the logs of {P}:"]
TAIL_SYMPTOMS = [
    "{C} in {S} logs", "{W} {W} errors on {H}", "{I} failing with {C}", "{W} {W} stuck on {H}",
    "spike in {W} {W} on {S}", "{P} restarting with {C}", "{W} {W} reported by customers",
    "{W} {W} timeouts from {I}",
]
ONSETS = ("b c d f g h j k l m n p r s t v w z b c d l m n p r s t br bl ch cl cr dr fl fr gl "
          "gr pl pr sc sh sk sl sm sn sp st str sw th tr tw wh qu y").split() + ["", "", "", ""]
ONSETS_MID = "b c d f g k l m n p r s t v z b d l m n r s t ch th st tr".split()
NUCLEI = "a e i o u a e i o u a e i o u a e i e a i o ai ea ee ie oo ou oa y".split()
CODAS_END = ["", "", "", "", "n", "r", "l", "s", "t", "m", "d", "k", "p", "nd", "nt", "st",
             "ck", "ng", "rt", "ll", "sh", "rn", "rd", "lt", "mp", "x", "ss", "ct", "ft", "lk"]
CODAS_MID = ["", "", "", "", "", "n", "r", "l", "s", "m", "t", "c", "p"]
SUFFIXES = "s s s ed ed ing ing er ers ly tion ment ness able al ic ity ize ous ive ism ist".split()
CODE_SHAPES = ["E{d4}", "E{d4}", "ERR_{W}", "ERR_{W}_{W}", "0x{h8}", "ORA-{d5}", "SQLSTATE {a5}",
               "errno {d2}", "exit code {d3}", "{W}Exception", "{W}Error"]

_M64 = (1 << 64) - 1


def _mix(x: int) -> int:
    """splitmix64's finaliser: a fixed bijection of 64-bit integers (Python's hash() is salted)."""
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


class _Bits:
    """Deterministic choices from a 64-bit hash of (domain, rank), re-mixed when used up."""

    __slots__ = ("h", "k")

    def __init__(self, domain: int, rank: int):
        self.k = _mix((domain << 56) ^ rank)
        self.h = self.k

    def int(self, n: int) -> int:
        if self.h < (1 << 20):
            self.k = _mix(self.k)
            self.h = self.k
        self.h, i = divmod(self.h, n)
        return i

    def pick(self, seq):
        return seq[self.int(len(seq))]


class Zipf2:
    """Ranks 0, 1, 2, ... with P(rank) proportional to (rank + q)^-s1 up to rank + q = knee and
    to the steeper (rank + q)^-s2 beyond (continuous approximation, continuous at the knee),
    drawn in O(1) by inverting the CDF. s1 and s2 must be > 1."""

    def __init__(self, q: float, s1: float, knee: float, s2: float, max_rank: int = 10 ** 12):
        assert s1 > 1.0 and s2 > 1.0 and knee > q + 1
        self.x0, self.s1, self.s2, self.knee, self.max_rank = q + 1.0, s1, s2, float(knee), max_rank
        self.a = (self.x0 ** (1 - s1) - self.knee ** (1 - s1)) / (s1 - 1)
        self.b = self.knee ** (1 - s1) / (s2 - 1)
        self.total = self.a + self.b

    def draw(self, rng: random.Random) -> int:
        u = rng.random() * self.total
        if u < self.a:
            x = (self.x0 ** (1 - self.s1) - u * (self.s1 - 1)) ** (1 / (1 - self.s1))
        else:
            y = (self.knee ** (1 - self.s2)
                 - (u - self.a) * (self.s2 - 1) * self.knee ** (self.s1 - self.s2))
            if y <= 0.0:
                return self.max_rank
            x = y ** (1 / (1 - self.s2))
        return min(int(x - self.x0), self.max_rank)


def _affix(root: str, suffix: str) -> str:
    if suffix[0] in "aeiouy" and root.endswith("e"):
        root = root[:-1]
    elif suffix == "s" and root.endswith(("s", "x", "sh", "ch")):
        suffix = "es"
    return root + suffix


def _pseudo_root(r: int) -> str:
    b = _Bits(1, r)
    while True:
        n = b.pick((1, 1, 2, 2, 2, 2, 2, 3, 3, 4))
        parts = []
        for i in range(n):
            onset = b.pick(ONSETS if i == 0 else ONSETS_MID)
            nucleus = b.pick(NUCLEI)
            if not onset and nucleus == "y":
                nucleus = "e"
            parts.append(onset + nucleus + b.pick(CODAS_END if i == n - 1 else CODAS_MID))
        w = "".join(parts)
        if 3 <= len(w) <= 9:
            return w


class LongTail:
    """The --long-tail text. It has its own RNG (seeded from the seed) and never draws from
    Gen.rng, so file names, titles and template text are the same as without the flag."""

    # (q, s1, knee, s2) per lexicon, see Zipf2: exponent 1.05 over the frequent ranks, 1.9
    # beyond the knee, the two-regime shape of large English corpora. A single exponent near 1
    # adds distinct words almost linearly with N (far faster than Heaps' law on real text) and
    # leaves ~2/3 of them in one document. Calibrated on N = 1k/10k/100k (bench/README.md).
    WORD_LAW = (300, 1.05, 8_000, 1.9)
    HEX_LAW = (20, 1.05, 2_000, 1.9)
    IDENT_LAW = (50, 1.05, 2_000, 1.9)
    CODE_LAW = (20, 1.05, 1_000, 1.9)
    NUM_LAW = (20, 1.05, 2_000, 1.9)

    def __init__(self, seed: int):
        self.rng = random.Random(f"long-tail-{seed}")
        self.words_z = Zipf2(*self.WORD_LAW)
        self.hex_z = Zipf2(*self.HEX_LAW)
        self.ident_z = Zipf2(*self.IDENT_LAW)
        self.code_z = Zipf2(*self.CODE_LAW)
        self.num_z = Zipf2(*self.NUM_LAW)
        self.focus: list[str] = []
        self.real_at = {j * (1 + j // 50): j for j in range(len(TAIL_REAL_WORDS))}
        self._words: dict[int, str] = {}
        self._other: dict[tuple[int, int], str] = {}

    # -- lexicons: rank -> string ------------------------------------------------------------
    def word_at(self, r: int) -> str:
        w = self._words.get(r)
        if w is None:
            j = self.real_at.get(r)
            if j is not None:
                w = TAIL_REAL_WORDS[j]
            else:
                b = _Bits(2, r)
                kind = b.int(100)
                if kind < 30 and r >= 200 and (r // 5) not in self.real_at:
                    # an inflected form of the (more frequent) word at rank r // 5
                    w = _affix(_pseudo_root(r // 5), b.pick(SUFFIXES))
                else:
                    w = _pseudo_root(r)
                    if kind >= 80:
                        w = _affix(w, b.pick(SUFFIXES))
                if len(w) > 12:
                    w = _pseudo_root(r)
            self._words[r] = w
        return w

    def _cached(self, domain: int, r: int, make) -> str:
        key = (domain, r)
        s = self._other.get(key)
        if s is None:
            s = self._other[key] = make(_Bits(domain, r))
        return s

    def start(self) -> None:
        """Per incident: 2-4 focus words that its tail text repeats."""
        self.focus = []  # the new ones are drawn from the word law, not from the old ones
        self.focus = [self.word() for _ in range(self.rng.randint(2, 4))]

    def word(self) -> str:
        """A word: 15% one of the incident's focus words (rare words come in bursts: the
        thing that broke is named more than once), else a draw from the word law."""
        rng = self.rng
        if self.focus and rng.random() < 0.15:
            return rng.choice(self.focus)
        return self.word_at(self.words_z.draw(rng))

    def hexid(self) -> str:
        def make(b: _Bits) -> str:
            n = b.pick((4, 4, 5, 6, 6, 7, 8))
            return "".join(b.pick("0123456789abcdef") for _ in range(n))
        return self._cached(3, self.hex_z.draw(self.rng), make)

    def ident(self) -> str:
        def make(b: _Bits) -> str:
            parts = [self.word_at(b.int(3000)) for _ in range(b.pick((2, 2, 2, 3)))]
            style = b.int(20)
            if style < 9:
                return "".join(p.capitalize() for p in parts)
            if style < 14:
                return "_".join(parts)
            if style < 17:
                return ".".join(parts)
            return parts[0] + "".join(p.capitalize() for p in parts[1:])
        return self._cached(4, self.ident_z.draw(self.rng), make)

    def code(self) -> str:
        def make(b: _Bits) -> str:
            def repl(m: re.Match) -> str:
                k = m.group(1)
                if k == "W":
                    return self.word_at(b.int(2000)).upper()
                if k[0] == "d":
                    return "".join(b.pick("0123456789") for _ in range(int(k[1])))
                if k[0] == "h":
                    return "".join(b.pick("0123456789abcdef") for _ in range(int(k[1])))
                return "".join(b.pick("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ")
                               for _ in range(int(k[1])))
            shape = b.pick(CODE_SHAPES)
            if shape.startswith("{W}"):
                return self.word_at(b.int(2000)).capitalize() + shape[3:]
            return FIELD_RE.sub(repl, shape)
        return self._cached(5, self.code_z.draw(self.rng), make)

    def number(self) -> str:
        def make(b: _Bits) -> str:
            return str(b.pick((10, 100, 1000, 1000, 10000)) + b.int(90000))
        return self._cached(6, self.num_z.draw(self.rng), make)

    def host(self) -> str:
        rng = self.rng
        k = rng.randint(0, 9)
        if k < 4:
            return f"{rng.choice(HOST_PREFIXES)}-{self.hexid()}"
        if k < 7:
            return f"ip-10-{rng.randint(0, 63)}-{rng.randint(0, 255)}-{rng.randint(1, 254)}"
        return f"{self.word()}-{rng.randint(1, 40):02d}"

    def pod(self) -> str:
        return f"{self.rng.choice(SERVICES)}-{self.hexid()}-{self.hexid()[:5]}"

    # -- text ----------------------------------------------------------------------------------
    def fill(self, template: str, ctx: dict | None = None) -> str:
        rng = self.rng

        def repl(m: re.Match) -> str:
            k = m.group(1)
            if k == "W":
                return self.word()
            if k == "I":
                return self.ident()
            if k == "C":
                return self.code()
            if k == "H":
                return self.host()
            if k == "P":
                return self.pod()
            if k == "X":
                return self.hexid()
            if k == "N":
                return self.number()
            if k == "S":
                return ctx["svc"] if ctx and rng.random() < 0.5 else rng.choice(SERVICES)
            if k == "L":
                return rng.choice(LOG_LEVELS)
            return ctx[k]

        return FIELD_RE.sub(repl, template)

    def sentence(self, slots: int, ctx: dict | None = None) -> str:
        rng = self.rng
        parts = [rng.choice(OPENERS), "{W}"]
        n = 1
        while n < slots:
            chunk, k = rng.choice(PROSE_CHUNK_TEMPLATES)
            n += k
            parts.append(chunk)
            if rng.random() < 0.08:
                parts[-1] += ","
        return self.fill(" ".join(parts).rstrip(","), ctx) + "."

    def paragraph(self, ctx: dict) -> str:
        rng = self.rng
        return " ".join(self.sentence(rng.randint(4, 7), ctx) for _ in range(rng.randint(3, 5)))

    def symptom(self, ctx: dict) -> str:
        return self.fill(self.rng.choice(TAIL_SYMPTOMS), ctx)

    def log_block(self, inc: Incident, ctx: dict) -> str:
        rng = self.rng
        t0 = dict(inc.ts)["detected"]
        times = sorted(t0 + dt.timedelta(seconds=rng.randint(-1800, 600))
                       for _ in range(rng.randint(3, 6)))
        lines = [self.fill(rng.choice(LOG_LINES), dict(ctx, T=t.isoformat())) for t in times]
        return self.fill(rng.choice(LOG_INTROS), ctx) + "\n\n```\n" + "\n".join(lines) + "\n```"


# --------------------------------------------------------------------------------------------
# Shapes (--shape): what real knowledge bases have and the templates hide. Each draws from its
# own RNG and rewrites fields after the default stream drew them, so every other byte of an
# incident is what the default run writes.
# --------------------------------------------------------------------------------------------

SHAPES = ["near-duplicate", "tag-skew", "long-bodies", "wide-tags"]

# 120 words near-duplicate lessons and action items are written from.
SHAPE_VOCABULARY = """alert cause symptom page owner runbook deploy rollback canary flag config
change review test staging production replica primary failover backup restore snapshot disk
quota limit capacity load traffic queue retry timeout budget latency error rate dashboard metric
log trace cache ttl dns certificate expiry rotation secret vault token access permission audit
schema migration index query lock deadlock pool connection thread memory leak cpu node cluster
pod scheduler cron job batch vendor contract status communication customer support escalation
incident commander handover shift weekend holiday freeze window release pipeline build artifact
image registry version upgrade patch dependency library api gateway proxy network firewall route
partition region zone cost alarm threshold noise fatigue drill exercise documentation checklist
ownership training knowledge early late manual automate""".split()

# Few tags with thousands of incidents each (tag-skew: every incident has one or two).
SKEW_TAGS = ["database", "deploy", "networking", "config", "capacity"]


class Shape:
    def __init__(self, name: str, seed: int):
        self.name = name
        self.rng = random.Random(f"shape-{name}-{seed}")
        rng = self.rng
        # 40 themes of 6-11 words: lessons are drawings of a theme with words swapped and added.
        self.themes = [[rng.choice(SHAPE_VOCABULARY) for _ in range(rng.randint(6, 11))]
                       for _ in range(40)]
        self.wide_pool = [f"{rng.choice(TAGS)}-{k}" for k in range(500)]

    def variant(self) -> str:
        rng = self.rng
        out: list[str] = []
        for w in rng.choice(self.themes):
            out.append(rng.choice(SHAPE_VOCABULARY) if rng.random() < 0.1 else w)
            if rng.random() < 0.1:
                out.append(rng.choice(SHAPE_VOCABULARY))
        s = " ".join(out)
        return s[0].upper() + s[1:]

    def apply(self, inc: "Incident") -> None:
        rng = self.rng
        if self.name == "near-duplicate":
            inc.tags = sorted(set(rng.sample(SKEW_TAGS + ["security"], rng.randint(1, 3))))
            inc.fm_tags = list(inc.tags)
            inc.lessons = [self.variant() for _ in range(rng.randint(3, 6))]
            for a in inc.action_items:
                a["title"] = self.variant()
        elif self.name == "tag-skew":
            inc.tags = rng.sample(SKEW_TAGS, rng.randint(1, 2)) + [f"topic-{inc.idx}"]
            inc.fm_tags = list(inc.tags)
        elif self.name == "wide-tags":
            inc.tags = rng.sample(self.wide_pool, 50)
            inc.fm_tags = list(inc.tags)

    def long_body(self, inc: "Incident", body: str) -> str:
        """long-bodies: metrics tables and code blocks, ~6,000 more words."""
        rng = self.rng
        out = [body, "\n## Appendix\n"]
        for k in range(8):
            out.append(f"### Metrics {k + 1}\n")
            out.append("| Host | Region | p50 ms | p99 ms | Errors | Note |\n"
                       "| --- | --- | ---: | ---: | ---: | --- |")
            rows = []
            for _ in range(40):
                rows.append(f"| {rng.choice(SERVICES)}-{rng.randint(1, 64)} | {rng.choice(REGIONS)} "
                            f"| {rng.randint(1, 400)} | {rng.randint(400, 9000)} "
                            f"| {rng.randint(0, 5000)} | {rng.choice(SHAPE_VOCABULARY)} "
                            f"{rng.choice(SHAPE_VOCABULARY)} |")
            out.append("\n".join(rows) + "\n")
            out.append("```yaml")
            lines = []
            for _ in range(30):
                lines.append(f"{rng.choice(SHAPE_VOCABULARY)}_{rng.choice(SHAPE_VOCABULARY)}: "
                             f"{rng.randint(0, 100000)}  # {rng.choice(SHAPE_VOCABULARY)}")
            out.append("\n".join(lines) + "\n```\n")
        return "\n".join(out)


class Incident:
    pass


class Gen:
    def __init__(self, n: int, seed: int, long_tail: bool = False, shape: str | None = None):
        self.n = n
        self.rng = random.Random(seed)
        self.tail = LongTail(seed) if long_tail else None
        self.shape = Shape(shape, seed) if shape else None

    # -- text ---------------------------------------------------------------------------------
    def fill(self, template: str, ctx: dict) -> str:
        rng = self.rng

        def repl(m: re.Match) -> str:
            k = m.group(1)
            if k in ctx:
                v = ctx[k]
                return v() if callable(v) else v
            if k == "component":
                return rng.choice(COMPONENTS)
            if k == "component_cap":
                c = rng.choice(COMPONENTS)
                return c[0].upper() + c[1:]
            if k == "metric":
                return rng.choice(METRICS)
            if k == "Metric":
                return rng.choice(METRICS).capitalize()
            if k == "error":
                return rng.choice(ERRORS)
            if k == "error2":
                return rng.choice(["CrashLoopBackOff", "OOMKilled", "ImagePullBackOff", "Pending"])
            if k == "error_lower":
                return rng.choice(ERRORS).lower()
            if k == "tool":
                return rng.choice(TOOLS)
            if k == "team":
                return rng.choice(TEAMS)
            if k == "region":
                return rng.choice(REGIONS)
            if k == "n":
                return str(rng.randint(2, 40))
            if k == "pct":
                return str(rng.randint(3, 95))
            if k == "dur":
                return fmt_dur(rng.randint(5, 400))
            if k == "failure":
                return rng.choice(FAILURES)
            if k in ("outage", "Outage"):
                o = rng.choice(OUTAGES)
                return o.capitalize() if k == "Outage" else o
            if k == "Alert":
                return rng.choice(ALERT_WORDS) + rng.choice(ALERT_NOUNS)
            if k == "period":
                return rng.choice(PERIODS)
            if k == "ordinal":
                return rng.choice(ORDINALS)
            if k in ("mitigation", "mitigation_cap"):
                s = self.fill(rng.choice(MITIGATIONS), ctx)
                return s[0].upper() + s[1:] if k == "mitigation_cap" else s
            raise KeyError(k)

        return FIELD_RE.sub(repl, template)

    # -- one incident -------------------------------------------------------------------------
    def make(self, idx: int, day: dt.date, earlier: list[Incident]) -> Incident:
        rng = self.rng
        inc = Incident()
        inc.idx = idx
        inc.date = day
        inc.services = pick_distinct(rng, SERVICES, SERVICE_CUM, rng.choices([1, 2, 3], [50, 35, 15])[0])
        inc.tags = pick_distinct(rng, TAGS, TAG_CUM, rng.randint(2, 5))
        trig_i = rng.choices(range(len(TRIGGERS)), TRIGGER_WEIGHTS)[0]
        inc.trigger, trigger_phrase = TRIGGERS[trig_i]
        inc.severity = rng.choices(SEVERITIES, SEVERITY_WEIGHTS)[0]
        svc = inc.services[0]
        svc2 = inc.services[1] if len(inc.services) > 1 else rng.choice(SERVICES)

        # timestamps, in one local offset, strictly ordered
        off = rng.choice(OFFSETS)
        tz = dt.timezone(dt.timedelta(minutes=off))
        started = dt.datetime(day.year, day.month, day.day, rng.randint(0, 22), rng.randint(0, 59), tzinfo=tz)
        ttd = max(1, int(rng.lognormvariate(2.5, 1.0)))
        ttd = min(ttd, 600)
        detected = started + dt.timedelta(minutes=ttd)
        acknowledged = detected + dt.timedelta(minutes=rng.randint(1, 15))
        mitigated = acknowledged + dt.timedelta(minutes=min(900, max(3, int(rng.lognormvariate(3.5, 0.9)))))
        resolved = mitigated + dt.timedelta(minutes=rng.randint(0, 24 * 60))
        inc.ts = [("started", started), ("detected", detected), ("acknowledged", acknowledged),
                  ("mitigated", mitigated), ("resolved", resolved)]
        tzname = "UTC" if off == 0 else "UTC" + started.strftime("%z")[:3] + ":" + started.strftime("%z")[3:]

        ctx = {
            "svc": svc, "svc2": svc2, "trigger": trigger_phrase, "sev": inc.severity,
            "trigger_short": trigger_phrase, "tz": tzname,
            "weekday": WEEKDAYS[day.weekday()],
            "date_long": f"{day.day} {MONTHS[day.month - 1]} {day.year}",
            "t_start": started.strftime("%H:%M"), "t_mitigated": mitigated.strftime("%H:%M"),
            "ttd": fmt_dur(ttd),
        }
        fill = lambda t: self.fill(t, ctx)  # noqa: E731

        title = fill(rng.choice(TITLE_TEMPLATES))
        title = title.replace("Partial partial outage", "Partial outage")
        inc.title = title[0].upper() + title[1:]
        words = slugify(inc.title).split("-")[:7]
        inc.id = f"{day.isoformat()}-{'-'.join(words)}-{idx}"
        inc.relpath = f"{day.year}/{inc.id}.md"
        inc.authors = rng.sample(PEOPLE, rng.choices([1, 2, 3], [50, 35, 15])[0])

        # frontmatter tags: sometimes written as an alias that site.toml maps back
        inc.fm_tags = []
        for t in inc.tags:
            if t in TAG_ALIASES and rng.random() < 0.08:
                inc.fm_tags.append(rng.choice(TAG_ALIASES[t]))
            else:
                inc.fm_tags.append(t)

        inc.symptoms = []
        for t in rng.sample(SYMPTOMS, rng.randint(1, 3)):
            inc.symptoms.append(self.fill(t, dict(ctx, svc=rng.choice(inc.services))))

        inc.summary = fill(rng.choice(SUMMARY_SENTENCES[:2])) + " " + fill(rng.choice(SUMMARY_SENTENCES[4:6]))
        if self.tail:  # own RNG: the main stream (and so everything else) is unchanged
            tr = self.tail.rng
            self.tail.start()
            if tr.random() < 0.4:
                inc.symptoms.append(self.tail.symptom(ctx))
            if tr.random() < 0.5:
                inc.summary += " " + self.tail.sentence(tr.randint(3, 5), ctx)

        cf_texts = [fill(t) for t in rng.sample(CF_SENTENCES, rng.randint(2, 4))]
        if rng.random() < 0.3:
            inc.cf = [{"category": rng.choice(CF_CATEGORIES), "description": c} for c in cf_texts]
        else:
            inc.cf = cf_texts

        users = rng.choice([0, rng.randint(10, 999), rng.randint(1000, 99999), rng.randint(100000, 2000000)])
        inc.impact = {
            "description": fill(rng.choice(IMPACT_SENTENCES)),
            "customer_facing": rng.random() < 0.7,
            "users_affected": users,
            "data_loss": rng.random() < 0.04,
            "categories": rng.sample(IMPACT_CATEGORIES, rng.randint(1, 2)),
        }
        method = rng.choices(DETECTION_METHODS, DETECTION_WEIGHTS)[0]
        source = {
            "alert": lambda: f"{rng.choice(TOOLS[:7])} alert {rng.choice(ALERT_WORDS)}{rng.choice(ALERT_NOUNS)}",
            "customer-report": lambda: "support ticket",
            "internal-report": lambda: f"engineer on the {rng.choice(TEAMS)} team",
            "synthetic": lambda: f"synthetic check {svc}-{rng.choice(['login', 'checkout', 'health', 'search'])}",
            "other": lambda: "status page of a vendor",
        }[method]()
        inc.detection = {"method": method, "source": source}

        inc.action_items = []
        for t in rng.sample(AI_TITLES, rng.randint(2, 5)):
            status = rng.choices(AI_STATUSES, AI_STATUS_WEIGHTS)[0]
            item = {
                "title": fill(t),
                "owner": rng.choice(PEOPLE),
                "status": status,
                "type": rng.choices(AI_TYPES, AI_TYPE_WEIGHTS)[0],
                "priority": rng.choice(["P1", "P2", "P2", "P3"]),
                "due": (day + dt.timedelta(days=rng.randint(7, 120))).isoformat(),
            }
            if rng.random() < 0.3:
                item["link"] = f"https://tracker.example.com/browse/OPS-{rng.randint(100, 99999)}"
            inc.action_items.append(item)

        if rng.random() < 0.6:
            inc.lessons = [fill(t) for t in rng.sample(LESSONS_PLAIN, rng.randint(2, 4))]
        else:
            inc.lessons = {
                "went_well": [fill(t) for t in rng.sample(LESSONS_WELL, rng.randint(1, 2))],
                "went_wrong": [fill(t) for t in rng.sample(LESSONS_WRONG, rng.randint(1, 3))],
                "got_lucky": [fill(t) for t in rng.sample(LESSONS_LUCKY, rng.randint(0, 1))],
            }

        inc.related = []
        inc.recurrence_of = None
        if earlier and rng.random() < 0.25:
            pool = earlier[-500:]
            for e in rng.sample(pool, min(len(pool), rng.randint(1, 2))):
                inc.related.append(e)
        if earlier and rng.random() < 0.05:
            inc.recurrence_of = rng.choice(earlier[-300:])
        inc.near_miss = rng.random() < 0.05
        inc.links = []
        if rng.random() < 0.3:
            inc.links.append({"title": "Incident ticket",
                              "url": f"https://tracker.example.com/browse/INC-{rng.randint(1000, 99999)}"})
        if rng.random() < 0.15:
            inc.links.append({"title": f"{svc} dashboard",
                              "url": f"https://grafana.example.com/d/{slugify(svc)}"})

        if self.shape:
            self.shape.apply(inc)
        inc.body = self.body(inc, ctx, fill)
        if self.shape and self.shape.name == "long-bodies":
            inc.body = self.shape.long_body(inc, inc.body)
        return inc

    def body(self, inc: Incident, ctx: dict, fill) -> str:
        rng = self.rng
        out: list[str] = []
        # Summary: 2-3 paragraphs
        out.append("## Summary\n")
        sents = rng.sample(SUMMARY_SENTENCES, 7)
        out.append(" ".join(fill(s) for s in sents[:4]) + "\n")
        out.append(" ".join(fill(s) for s in sents[4:]) + "\n")
        out.append(fill(rng.choice(PARAGRAPH_FILLER)) + "\n")

        # Timeline table
        out.append("## Timeline\n")
        out.append(f"All times in {ctx['tz']}.\n")
        rows: list[tuple[dt.datetime, str]] = []
        labels = {
            "started": "Impact starts: {error} rates rise on {svc}",
            "detected": "{tool} alert {Alert} fires for {svc}",
            "acknowledged": "On-call engineer acknowledges the page",
            "mitigated": "{mitigation_cap}; impact mitigated",
            "resolved": "Incident resolved, all metrics back to baseline",
        }
        for k, t in inc.ts:
            rows.append((t, fill(labels[k])))
        ts = dict(inc.ts)
        span = max(1, int((ts["mitigated"] - ts["acknowledged"]).total_seconds() // 60))
        for ev in rng.sample(TIMELINE_INVESTIGATING, rng.randint(3, 6)):
            rows.append((ts["acknowledged"] + dt.timedelta(minutes=rng.randint(0, span - 1)), fill(ev)))
        span = int((ts["resolved"] - ts["mitigated"]).total_seconds() // 60)
        for ev in rng.sample(TIMELINE_RECOVERING, rng.randint(1, 3) if span > 1 else 0):
            rows.append((ts["mitigated"] + dt.timedelta(minutes=rng.randint(1, span - 1)), fill(ev)))
        rows.sort(key=lambda r: r[0])  # stable: same-minute rows keep their order
        out.append("| Time | Event |\n| :--- | --- |")
        out.append("\n".join(f"| {t.strftime('%Y-%m-%d %H:%M')} | {e} |" for t, e in rows) + "\n")

        # Contributing factors
        out.append("## Contributing factors\n")
        cfs = [c["description"] if isinstance(c, dict) else c for c in inc.cf]
        out.append("\n".join(f"- {c}" for c in cfs) + "\n")
        out.append(fill(rng.choice(CF_DETAIL)) + " " + fill(rng.choice(PARAGRAPH_FILLER)) + "\n")
        if inc.related or inc.recurrence_of:
            refs = list(inc.related) + ([inc.recurrence_of] if inc.recurrence_of else [])
            r = refs[0]
            if rng.random() < 0.5:
                out.append(f"A similar failure was described in [[{r.id}]].\n")
            else:
                out.append(f"See the earlier postmortem [{r.title}](../{r.relpath}) for the same pattern.\n")

        # Action items
        out.append("## Action items\n")
        lines = []
        for a in inc.action_items:
            box = "x" if a["status"] == "done" else " "
            lines.append(f"- [{box}] {a['title']} ({a['owner']}, due {a['due']})")
        out.append("\n".join(lines) + "\n")

        # Lessons learned
        out.append("## Lessons learned\n")
        if isinstance(inc.lessons, list):
            out.append("\n".join(f"- {x}" for x in inc.lessons) + "\n")
        else:
            for key, head in (("went_well", "What went well"), ("went_wrong", "What went wrong"),
                              ("got_lucky", "Where we got lucky")):
                if inc.lessons[key]:
                    out.append(f"### {head}\n")
                    out.append("\n".join(f"- {x}" for x in inc.lessons[key]) + "\n")
        text = "\n".join(out)

        # pad with discussion paragraphs until ~700 words (varies 650-800)
        target = rng.randint(600, 720)
        extra: list[str] = []
        n_words = len(text.split())
        fillers = rng.sample(PARAGRAPH_FILLER + CF_SENTENCES + LESSONS_WRONG, 30)
        i = 0
        while n_words < target and i < len(fillers):
            para = " ".join(fill(f) for f in fillers[i:i + 3])
            i += 3
            extra.append(para)
            n_words += len(para.split())
        if self.tail:
            text, extra = self.tail_body(inc, ctx, out, extra, target)
        if extra:
            text += "\n## Discussion\n\n" + "\n\n".join(extra) + "\n"
        return text

    def tail_body(self, inc: Incident, ctx: dict, out: list[str], extra: list[str],
                  target: int) -> tuple[str, list[str]]:
        """--long-tail: a prose sentence in the summary, then a Discussion of a log excerpt
        (60%) and 1-2 prose paragraphs, topped up with the template paragraphs already drawn
        (at least one) until the body is as long as without the flag."""
        tail = self.tail
        tr = tail.rng
        out = list(out)
        if tr.random() < 0.6:
            out[2] = out[2][:-1] + " " + tail.sentence(tr.randint(4, 7), ctx) + "\n"
        text = "\n".join(out)
        blocks = [tail.log_block(inc, ctx)] if tr.random() < 0.6 else []
        paras = [tail.paragraph(ctx) for _ in range(1 if tr.random() < 0.8 else 2)]
        n_words = len(text.split()) + sum(len(b.split()) for b in blocks + paras)
        kept: list[str] = []
        for para in extra:
            if kept and n_words >= target:
                break
            kept.append(para)
            n_words += len(para.split())
        # template and tail paragraphs alternate, template first
        mixed = [p for pair in itertools.zip_longest(kept, paras) for p in pair if p is not None]
        return text, blocks + mixed

    # -- output -------------------------------------------------------------------------------
    def frontmatter(self, inc: Incident) -> str:
        L = ["---"]
        L.append(f"id: {inc.id}")
        L.append(f"title: {q(inc.title)}")
        L.append(f"date: {inc.date.isoformat()}")
        L.append(f"severity: {inc.severity}")
        L.append("status: published")
        L.append(f"summary: {q(inc.summary)}")
        L.append("authors: [" + ", ".join(q(a) for a in inc.authors) + "]")
        L.append("tags: [" + ", ".join(q(t) for t in inc.fm_tags) + "]")
        L.append("services: [" + ", ".join(q(s) for s in inc.services) + "]")
        L.append("symptoms:")
        L += [f"  - {q(s)}" for s in inc.symptoms]
        L.append(f"trigger: {inc.trigger}")
        L.append("contributing_factors:")
        for c in inc.cf:
            if isinstance(c, dict):
                L.append(f"  - category: {c['category']}")
                L.append(f"    description: {q(c['description'])}")
            else:
                L.append(f"  - {q(c)}")
        im = inc.impact
        L.append("impact:")
        L.append(f"  description: {q(im['description'])}")
        L.append(f"  customer_facing: {'true' if im['customer_facing'] else 'false'}")
        L.append(f"  users_affected: {im['users_affected']}")
        L.append(f"  data_loss: {'true' if im['data_loss'] else 'false'}")
        L.append("  categories: [" + ", ".join(im["categories"]) + "]")
        L.append("detection:")
        L.append(f"  method: {inc.detection['method']}")
        L.append(f"  source: {q(inc.detection['source'])}")
        L.append("timestamps:")
        L += [f"  {k}: \"{t.isoformat()}\"" for k, t in inc.ts]
        L.append("action_items:")
        for a in inc.action_items:
            L.append(f"  - title: {q(a['title'])}")
            L.append(f"    owner: {q(a['owner'])}")
            L.append(f"    status: {a['status']}")
            L.append(f"    type: {a['type']}")
            L.append(f"    priority: {a['priority']}")
            L.append(f"    due: {a['due']}")
            if "link" in a:
                L.append(f"    link: {a['link']}")
        if isinstance(inc.lessons, list):
            L.append("lessons:")
            L += [f"  - {q(x)}" for x in inc.lessons]
        else:
            L.append("lessons:")
            for key in ("went_well", "went_wrong", "got_lucky"):
                if inc.lessons[key]:
                    L.append(f"  {key}:")
                    L += [f"    - {q(x)}" for x in inc.lessons[key]]
                else:
                    L.append(f"  {key}: []")
        if inc.related:
            L.append("related: [" + ", ".join(r.id for r in inc.related) + "]")
        if inc.recurrence_of:
            L.append(f"recurrence_of: {inc.recurrence_of.id}")
        if inc.near_miss:
            L.append("near_miss: true")
        if inc.links:
            L.append("links:")
            for ln in inc.links:
                L.append(f"  - title: {q(ln['title'])}")
                L.append(f"    url: {ln['url']}")
        L.append("---")
        return "\n".join(L) + "\n"


def site_toml() -> str:
    out = [
        'title = "Synthetic incident knowledge base (benchmark corpus)"',
        'base_url = "https://incidents.example.com"',
        "",
        "[severity]",
        'levels = ["SEV1", "SEV2", "SEV3", "SEV4"]',
        "",
    ]
    for tag, desc, aliases, match in SITE_TAGS:
        out.append(f"[tags.{tag}]")
        out.append(f"description = {q(desc)}")
        out.append("aliases = [" + ", ".join(q(a) for a in aliases) + "]")
        out.append("match = [" + ", ".join(q(m) for m in match) + "]")
        out.append("")
    out.append("[search]")
    out.append('synonyms = [["slave", "replica", "secondary", "follower"], '
               '["dropped", "lost", "discarded"], ["outage", "downtime", "unavailable"]]')
    return "\n".join(out) + "\n"


def write_if_changed(path: str, data: bytes) -> None:
    try:
        with open(path, "rb") as f:
            if f.read() == data:
                return
    except FileNotFoundError:
        pass
    with open(path, "wb") as f:
        f.write(data)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, help="number of postmortems")
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--long-tail", action="store_true",
                    help="mix in words from a Zipf-distributed open vocabulary (see the docstring)")
    ap.add_argument("--shape", choices=SHAPES,
                    help="rewrite some fields to a shape real knowledge bases have (see the docstring)")
    args = ap.parse_args(argv)
    if args.n < 1:
        ap.error("N must be >= 1")

    g = Gen(args.n, args.seed, args.long_tail, args.shape)
    rng = g.rng
    start = dt.date(2015, 1, 1).toordinal()
    end = dt.date(2026, 10, 31).toordinal()
    days = sorted(dt.date.fromordinal(rng.randint(start, end)) for _ in range(args.n))

    content = os.path.join(args.outdir, "content")
    os.makedirs(content, exist_ok=True)
    write_if_changed(os.path.join(args.outdir, "site.toml"), site_toml().encode())

    earlier: list[Incident] = []
    written: set[str] = set()
    made_dirs: set[str] = set()
    for i, day in enumerate(days, start=1):
        inc = g.make(i, day, earlier)
        earlier.append(inc)
        d = os.path.join(content, str(day.year))
        if d not in made_dirs:
            os.makedirs(d, exist_ok=True)
            made_dirs.add(d)
        path = os.path.join(content, inc.relpath)
        text = g.frontmatter(inc) + "\n# " + inc.title + "\n\n" + inc.body
        write_if_changed(path, text.encode())
        written.add(os.path.normpath(path))
        # drop the body to keep memory flat at large N
        inc.body = None

    # remove stale files from an earlier run with other parameters
    for dirpath, _dirs, files in os.walk(content):
        for f in files:
            p = os.path.normpath(os.path.join(dirpath, f))
            if p not in written:
                os.remove(p)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
