#!/usr/bin/env python3
"""Time from a saved edit to Hugo's live-reload message (`hugo server`), the Hugo side of
bench/serve_latency.py.

    bench/hugo_serve_latency.py CORPUS [EDITS] [-- extra hugo server flags]
    # e.g. cp -r bench/.work/corpus-1000 /dev/shm/hugo-serve-1k
    #      bench/hugo_serve_latency.py /dev/shm/hugo-serve-1k 10
    #      bench/hugo_serve_latency.py /dev/shm/hugo-serve-1k 10 -- --disableFastRender

Edits the first postmortem of CORPUS in place (and restores it at the end), so give it a *copy*
of a generated corpus: it refuses to run on anything under bench/.work/, whose corpora other
benchmarks read.

Starts `hugo server` with the site used by bench/run.sh (--source bench/hugo --contentDir
CORPUS/content, same --noBuildLock/--ignoreCache, HUGO_RESOURCEDIR and --cacheDir in a temporary
directory) on a free port bound to 127.0.0.1, with Hugo's server defaults otherwise (Hugo 0.111:
render to memory, fast render mode on; extra flags after `--` are appended). No --destination:
in Hugo 0.111 giving `hugo server` a --destination makes it render to disk instead of memory.

Waits for the first build, connects to the live-reload WebSocket at /livereload (standard
library only: HTTP upgrade, masked client frames, livereload `hello`), sleeps 1-1.5 s, then EDITS
times: rewrites the `title:` line with a new unique title (same edit as serve_latency.py) and
measures from just before the write until the first `{"command":"reload"}` message. After each
reload it fetches the edited page and checks the new title is in it (not timed), then waits
0.5-1 s (random, so the write lands at a random point of Hugo's 500 ms watcher tick) before the
next edit. Prints each time, Hugo's own numbers for that edit (watcher wait = how long after the
write Hugo logged "Change detected", from the timestamp it prints; Hugo's "Total in N ms";
detected -> reload = the rest; number of rebuilds), and the medians.

Environment: HUGO (default `hugo`), HUGO_STARTUP_TIMEOUT seconds (default 1800), HUGO_LOG (a
file to write Hugo's whole output to, with seconds since start; add `-- --verbose` to see the
file events in each watcher batch).
"""
import base64, datetime, glob, hashlib, json, os, random, re, shutil, socket, statistics, struct
import subprocess, sys, tempfile, threading, time, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))

# ---- arguments ----------------------------------------------------------------------------
argv = sys.argv[1:]
extra = []
if "--" in argv:
    i = argv.index("--")
    argv, extra = argv[:i], argv[i + 1:]
if not argv or argv[0] in ("-h", "--help"):
    sys.exit(__doc__)
corpus = os.path.realpath(argv[0])
edits = int(argv[1]) if len(argv) > 1 else 10
shared = os.path.realpath(os.path.join(HERE, ".work"))
if corpus == shared or corpus.startswith(shared + os.sep):
    sys.exit(f"refusing to edit {corpus}: it is a shared corpus under bench/.work/. "
             f"Copy it first, e.g. cp -r {argv[0]} /dev/shm/hugo-serve-copy")
hugo = os.environ.get("HUGO", "hugo")
startup_timeout = float(os.environ.get("HUGO_STARTUP_TIMEOUT", "1800"))

content = os.path.join(corpus, "content")
files = sorted(glob.glob(os.path.join(content, "**", "*.md"), recursive=True))
if not files:
    sys.exit(f"no .md files under {content}")
target = files[0]
original = open(target, encoding="utf-8").read()
# Hugo's default permalink for content/<section>/<name>.md (no permalinks config in bench/hugo).
page_path = "/" + os.path.relpath(target, content)[:-3].replace(os.sep, "/").lower() + "/"

def loadavg():
    return open("/proc/loadavg").read().split()[:3]

def proc_mem(pid):
    out = {}
    try:
        for l in open(f"/proc/{pid}/status"):
            if l.startswith(("VmRSS:", "VmHWM:")):
                out[l.split(":")[0]] = int(l.split()[1]) // 1024
    except OSError:
        pass
    return f"RSS {out.get('VmRSS', '?')} MB (peak {out.get('VmHWM', '?')} MB)"

def cpu_ticks(pid):
    """(busy clock ticks of the whole machine, of process pid, of this script)."""
    f = open("/proc/stat").readline().split()[1:]
    busy = sum(int(x) for x in f[:8]) - int(f[3]) - int(f[4])  # minus idle and iowait
    try:
        st = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        child = int(st[11]) + int(st[12])  # utime + stime
    except OSError:
        child = 0
    t = os.times()
    return busy, child, round((t.user + t.system) * os.sysconf("SC_CLK_TCK"))

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p

# ---- start hugo server --------------------------------------------------------------------
tmp = tempfile.mkdtemp(prefix="hugo-serve-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
port = free_port()
cmd = [hugo, "server", "--source", os.path.join(HERE, "hugo"), "--contentDir", content,
       "--cacheDir", os.path.join(tmp, "cache"),
       "--ignoreCache", "--noBuildLock", "--port", str(port), "--bind", "127.0.0.1"] + extra
env = dict(os.environ, HUGO_RESOURCEDIR=os.path.join(tmp, "resources"))
version = subprocess.run([hugo, "version"], capture_output=True, text=True).stdout.strip()
print(version)
print("command: HUGO_RESOURCEDIR=" + env["HUGO_RESOURCEDIR"] + " " + " ".join(cmd))
print(f"{len(files)} postmortems; editing {os.path.relpath(target, corpus)} (page {page_path}); "
      f"load average at start: {' '.join(loadavg())}", flush=True)

t_start = time.monotonic()
proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
log = []  # (monotonic time, line)
log_cond = threading.Condition()
def read_log():
    for line in proc.stdout:
        with log_cond:
            log.append((time.monotonic(), line.rstrip()))
            log_cond.notify_all()
    with log_cond:
        log.append((time.monotonic(), "<hugo exited>"))
        log_cond.notify_all()
threading.Thread(target=read_log, daemon=True).start()

def tail(n=30):
    return "\n".join(l for _, l in log[-n:])

def cleanup():
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    shutil.rmtree(tmp, ignore_errors=True)

with log_cond:
    ok = log_cond.wait_for(lambda: any("Web Server is available" in l or l == "<hugo exited>"
                                       for _, l in log), timeout=startup_timeout)
if not ok or proc.poll() is not None:
    cleanup()
    sys.exit("hugo server did not start:\n" + tail())
startup = time.monotonic() - t_start
built = [m.group(1) for _, l in log for m in [re.search(r"Built in (\d+) ms", l)] if m]
mode = next((l for _, l in log if "Fast Render" in l), "no fast-render message")
serving = next((l for _, l in log if l.startswith("Serving pages from")), "?")
print(f"server up after {startup:.1f} s (Hugo: 'Built in {built[0] if built else '?'} ms'); "
      f"{serving}; {mode}; hugo {proc_mem(proc.pid)}", flush=True)

# ---- livereload WebSocket client (RFC 6455, stdlib only) ----------------------------------
events = []  # (monotonic time, command, raw message)
ev_cond = threading.Condition()

def ws_send_text(sock, text):
    payload = text.encode()
    head = bytes([0x81])  # FIN + text
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack(">H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack(">Q", n)
    key = os.urandom(4)
    sock.sendall(head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload)))

def ws_send_control(sock, opcode, payload=b""):
    key = os.urandom(4)
    sock.sendall(bytes([0x80 | opcode, 0x80 | len(payload)]) + key +
                 bytes(b ^ key[i % 4] for i, b in enumerate(payload)))

def ws_connect():
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    host = f"127.0.0.1:{port}"
    sock.sendall((f"GET /livereload HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                  f"Origin: http://{host}\r\n\r\n").encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(4096)
        if not chunk:
            raise RuntimeError("connection closed during WebSocket handshake: %r" % buf)
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    if " 101 " not in lines[0] + " ":
        raise RuntimeError("WebSocket upgrade refused: %r" % head)
    hdrs = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
    want = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
                                         .encode()).digest()).decode()
    if hdrs.get("sec-websocket-accept") != want:
        raise RuntimeError("bad Sec-WebSocket-Accept: %r" % head)
    sock.settimeout(None)
    return sock, rest

def ws_listen(sock, buf):
    def need(n):
        nonlocal buf
        while len(buf) < n:
            chunk = sock.recv(65536)
            if not chunk:
                raise EOFError
            buf += chunk
    frag_op, frag = None, b""
    try:
        while True:
            need(2)
            b0, b1 = buf[0], buf[1]
            op, n, off = b0 & 0x0F, b1 & 0x7F, 2
            if n == 126:
                need(4); n = struct.unpack(">H", buf[2:4])[0]; off = 4
            elif n == 127:
                need(10); n = struct.unpack(">Q", buf[2:10])[0]; off = 10
            mask = None
            if b1 & 0x80:  # servers must not mask, but accept it
                need(off + 4); mask = buf[off:off + 4]; off += 4
            need(off + n)
            payload, buf = buf[off:off + n], buf[off + n:]
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if op == 0x9:
                ws_send_control(sock, 0xA, payload)
                continue
            if op == 0x8:
                ws_send_control(sock, 0x8, payload[:2])
                break
            if op == 0xA:
                continue
            if op in (0x1, 0x2):
                frag_op, frag = op, payload
            elif op == 0x0:
                frag += payload
            if not b0 & 0x80:
                continue
            t = time.monotonic()
            text = frag.decode("utf-8", "replace")
            try:
                command = json.loads(text).get("command", "?")
            except ValueError:
                command = "?"
            with ev_cond:
                events.append((t, command, text))
                ev_cond.notify_all()
    except (EOFError, OSError):
        pass
    with ev_cond:
        events.append((time.monotonic(), "<closed>", ""))
        ev_cond.notify_all()

try:
    ws, rest = ws_connect()
except Exception as e:
    cleanup()
    sys.exit(f"livereload connection failed: {e}\n{tail()}")
threading.Thread(target=ws_listen, args=(ws, rest), daemon=True).start()
# Hugo's connection reader answers a message containing exactly `"command":"hello"` (no spaces).
ws_send_text(ws, json.dumps({"command": "hello",
                             "protocols": ["http://livereload.com/protocols/official-7"]},
                            separators=(",", ":")))
with ev_cond:
    if not ev_cond.wait_for(lambda: any(e[1] == "hello" for e in events), timeout=10):
        cleanup()
        sys.exit(f"no hello from Hugo's livereload; got {events!r}\n{tail()}")
# Not a flat 1 s: Hugo's 500 ms watcher ticker starts with the server, so a fixed delay would put
# the first write at the same point of the tick every run (it did: 496 ms wait each time).
time.sleep(random.uniform(1.0, 1.5))

# ---- edits --------------------------------------------------------------------------------
TS = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [+-]\d{4}$")
def hugo_numbers(lines, t_wall):
    """From Hugo's log lines for one edit: (rebuild count, watcher waits ms, 'Total in' ms)."""
    waits = [(datetime.datetime.strptime(l, "%Y-%m-%d %H:%M:%S.%f %z").timestamp() - t_wall) * 1000
             for l in lines if TS.match(l)]
    totals = [int(m.group(1)) for l in lines for m in [re.search(r"^Total in (\d+) ms", l)] if m]
    rebuilds = sum("Change detected" in l for l in lines)
    return rebuilds, waits, totals

cpu0, wall0 = cpu_ticks(proc.pid), time.monotonic()
rows = []  # dicts per edit
problems = []
try:
    for i in range(edits):
        with ev_cond:
            seen = len(events)
        title = f"Benchmark edit {i} {time.time()}"
        text = re.sub(r"^title: .*$", f"title: {title}", original, count=1, flags=re.M)
        c0 = cpu_ticks(proc.pid)
        t0, w0 = time.monotonic(), time.time()
        with open(target, "w", encoding="utf-8") as f:
            f.write(text)
        with ev_cond:
            ok = ev_cond.wait_for(lambda: any(e[1] in ("reload", "<closed>") for e in events[seen:]),
                                  timeout=600)
            got = [e for e in events[seen:] if e[1] == "reload"]
            if not ok or not got:
                raise RuntimeError(f"no reload message after edit {i}; messages: "
                                   f"{events[seen:]!r}\nhugo said:\n{tail()}")
            t1, _, raw = got[0]
        c1 = cpu_ticks(proc.pid)
        ms = (t1 - t0) * 1000
        d = [b - a for a, b in zip(c0, c1)]
        # Cores busy with other processes between the write and the reload (10 ms clock ticks,
        # so coarse for short edits).
        other = max(0, d[0] - d[1] - d[2]) / os.sysconf("SC_CLK_TCK") / max(t1 - t0, 1e-3)
        try:
            html = urllib.request.urlopen(f"http://127.0.0.1:{port}{page_path}", timeout=60).read()
            page_ok = title.encode() in html
        except Exception as e:
            page_ok = False
            problems.append(f"edit {i}: fetching {page_path} failed: {e}")
        if not page_ok:
            problems.append(f"edit {i}: the page served after the reload did not show the new title")
        rows.append({"ms": ms, "page_ok": page_ok, "raw": raw, "other": other})
        time.sleep(random.uniform(0.5, 1.0))
        print(f"edit {i}: {ms:.0f} ms", end="", flush=True)
        # Attribute Hugo's log lines written between this write and now to this edit.
        with log_cond:
            lines = [l for t, l in log if t >= t0]
        rb, waits, totals = hugo_numbers(lines, w0)
        rows[-1].update(rebuilds=rb, waits=waits, totals=totals)
        if waits:  # write -> reload minus write -> "Change detected": Hugo's rebuild + push
            rows[-1]["after"] = ms - waits[0]
        with ev_cond:
            rows[-1]["reloads"] = sum(e[1] == "reload" for e in events[seen:])
        print(f"  (Hugo: change detected {', '.join('%.0f' % w for w in waits) or '?'} ms after the "
              f"write, 'Total in' {', '.join(map(str, totals)) or '?'} ms, detected -> reload "
              f"{'%.0f' % rows[-1]['after'] if 'after' in rows[-1] else '?'} ms; rebuilds {rb}, reload "
              f"messages {rows[-1]['reloads']}; page shows new title: {'yes' if page_ok else 'NO'}; "
              f"other processes {other:.2f} cores)",
              flush=True)
finally:
    with open(target, "w", encoding="utf-8") as f:
        f.write(original)
    time.sleep(1.5)  # let Hugo pick up the restore before it is stopped
    mem = proc_mem(proc.pid)
    load_end = loadavg()
    cpu1, wall1 = cpu_ticks(proc.pid), time.monotonic()
    hz = os.sysconf("SC_CLK_TCK")
    d = [b - a for a, b in zip(cpu0, cpu1)]
    cpu_hugo = d[1] / hz / (wall1 - wall0)
    cpu_other = (d[0] - d[1] - d[2]) / hz / (wall1 - wall0)
    cleanup()
    print(f"restored {os.path.relpath(target, corpus)}", flush=True)
    if os.environ.get("HUGO_LOG"):
        with open(os.environ["HUGO_LOG"], "w", encoding="utf-8") as f:
            for t, l in log:
                f.write(f"{t - t_start:9.3f} {l}\n")

# ---- summary ------------------------------------------------------------------------------
times = [r["ms"] for r in rows]
waits = [r["waits"][0] for r in rows if r["waits"]]
totals = [r["totals"][0] for r in rows if r["totals"]]
afters = [r["after"] for r in rows if "after" in r]
extra_rebuilds = sum(max(0, r["rebuilds"] - 1) for r in rows)
def med(xs):
    return f"{statistics.median(xs):.0f}" if xs else "-"
def span(xs):
    return f"{min(xs):.0f}-{max(xs):.0f}" if xs else "-"
print(f"reload message: {rows[0]['raw'] if rows else '-'}")
print(f"hugo memory at end: {mem}; load average at end: {' '.join(load_end)}; during the edits "
      f"hugo used {cpu_hugo:.2f} cores on average and other processes {max(cpu_other, 0):.2f} "
      f"(of {os.cpu_count()})")
for p in problems:
    print("WARNING:", p)
if extra_rebuilds:
    print(f"WARNING: {extra_rebuilds} extra rebuild(s): an edit was split over two watcher batches")
print(f"{len(files)} postmortems, hugo server {' '.join(extra) or '(defaults: fast render)'}: "
      f"median save → reload {med(times)} ms over {len(times)} edits (range {span(times)}); "
      f"Hugo watcher wait median {med(waits)} ms (range {span(waits)}); "
      f"Hugo 'Total in' median {med(totals)} ms (range {span(totals)}); "
      f"detected -> reload median {med(afters)} ms (range {span(afters)})")
quiet = [r["ms"] for r in rows if r["other"] < 0.25]
if len(quiet) < len(rows):
    print(f"other processes used >= 0.25 cores during {len(rows) - len(quiet)} of {len(rows)} edits; "
          f"median over the other {len(quiet)}: {med(quiet)} ms (range {span(quiet)})")
