#!/usr/bin/env python3
"""Time from a saved edit to the reload event of `kb serve` (issue 6's benchmark).

    bench/serve_latency.py CORPUS [EDITS]     # e.g. bench/.work/corpus-1000 10

Copies nothing: it edits the first postmortem of CORPUS in place (and restores it), so run it on
a generated corpus. Starts target/release/kb serve on a free port, opens the event stream,
then EDITS times: rewrites the file with a new title and measures
  - until the first `event: reload` (the edited page is served with its new content: kb renders
    it into the last good site first), and
  - until `event: built` (the whole site is rebuilt, byte for byte what `kb build` writes).
Prints each time and the medians, and the rebuild times kb printed.

With DURING=1 the next edit comes 1 s after the page reloaded, while the whole-site rebuild of
the one before is still running (at 10k): that measures only save → reload of the edited page.
"""
import glob, os, re, socket, statistics, subprocess, sys, threading, time

corpus = sys.argv[1]
edits = int(sys.argv[2]) if len(sys.argv) > 2 else 10
kb = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "release", "kb")
files = sorted(glob.glob(os.path.join(corpus, "content", "**", "*.md"), recursive=True))
target = files[0]
original = open(target, encoding="utf-8").read()

proc = subprocess.Popen([kb, "serve", "--port", "0", "--root", corpus], stderr=subprocess.PIPE, text=True)
log = []
port = None
for line in proc.stderr:
    log.append(line.rstrip())
    m = re.search(r"Serving http://127\.0\.0\.1:(\d+)/", line)
    if m:
        port = int(m.group(1))
        break
threading.Thread(target=lambda: [log.append(l.rstrip()) for l in proc.stderr], daemon=True).start()

events = []
cond = threading.Condition()
def listen():
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /__kb/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
    buf = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            if line.startswith(b"event: "):
                with cond:
                    events.append((time.monotonic(), line[7:].strip().decode()))
                    cond.notify_all()
threading.Thread(target=listen, daemon=True).start()
time.sleep(1.0)

times, settled = [], []
try:
    for i in range(edits):
        with cond:
            seen = len(events)
        t0 = time.monotonic()
        text = re.sub(r"^title: .*$", f"title: Benchmark edit {i} {time.time()}", original, count=1, flags=re.M)
        with open(target, "w", encoding="utf-8") as f:
            f.write(text)
        if os.environ.get("DURING"):
            with cond:
                cond.wait_for(lambda: any(e[1] == "reload" for e in events[seen:]), timeout=300)
                t1 = next(e[0] for e in events[seen:] if e[1] == "reload")
            times.append((t1 - t0) * 1000)
            settled.append(0)
            print(f"edit {i}: page reloaded after {times[-1]:.0f} ms", flush=True)
            time.sleep(1.0)
            continue
        with cond:
            ok = cond.wait_for(lambda: any(e[1] == "built" for e in events[seen:]), timeout=300)
            if not ok:
                sys.exit("no built event; events: %r; kb said: %s" % (events[seen:], "\n".join(log[-20:])))
            t1 = next(e[0] for e in events[seen:] if e[1] == "reload")
            t2 = next(e[0] for e in events[seen:] if e[1] == "built")
        times.append((t1 - t0) * 1000)
        settled.append((t2 - t0) * 1000)
        print(f"edit {i}: page reloaded after {times[-1]:.0f} ms, whole site after {settled[-1]:.0f} ms", flush=True)
        time.sleep(0.5)
finally:
    with open(target, "w", encoding="utf-8") as f:
        f.write(original)
    time.sleep(0.5)
    proc.terminate()
    proc.wait()

builds = [int(m.group(1)) for l in log for m in [re.search(r"Rebuilt \d+ incidents in (\d+) ms", l)] if m]
quick = [int(m.group(1)) for l in log for m in [re.search(r"Updated .* in (\d+) ms", l)] if m]
print(f"{len(files)} postmortems, {edits} edits: median save → reload of the edited page "
      f"{statistics.median(times):.0f} ms (kb's work in it: {statistics.median(quick) if quick else '-'} ms); "
      f"save → whole site rebuilt {statistics.median(settled):.0f} ms "
      f"(kb's rebuild: {statistics.median(builds[1:]) if len(builds) > 1 else '-'} ms)")
