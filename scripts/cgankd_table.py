"""Summarises a cGAN-KD table directory (scripts/cgankd_table.sh): per method, the student's final
test accuracy for each seed, mean, standard deviation, range, and wall time (fake-set sampling +
student training), read from each run's events.jsonl."""
import glob, json, os, re, statistics, sys

out = sys.argv[1]
rows = {}
for log in sorted(glob.glob(os.path.join(out, "*-s[0-9]*/events.jsonl"))):
    name, seed = re.match(r"(.+)-s(\d+)$", os.path.basename(os.path.dirname(log))).groups()
    end = None
    for line in open(log):
        e = json.loads(line)
        if e["type"] == "end":
            end = e
    if end is None or end.get("last_student_accuracy") is None:
        continue
    fake = "full" if name in ("cgan", "cgan-kd") else name.removesuffix("-kd") if name.endswith("-kd") and name != "cgan-kd" else None
    sampling = 0.0
    if fake and os.path.exists(os.path.join(out, f"fake-{fake}-s{seed}.seconds")):
        sampling = float(open(os.path.join(out, f"fake-{fake}-s{seed}.seconds")).read())
    rows.setdefault(name, []).append((int(seed), end["last_student_accuracy"], sampling + end["time"]))

print(f"{'method':14s} {'seeds':>22s} {'mean':>7s} {'sd':>5s} {'range':>6s} {'wall (s)':>16s}")
for name in ["nokd", "kd", "cgan", "cgan-kd", "nosub-kd", "nofilter-kd", "norelabel-kd"] + sorted(set(rows) - {"nokd", "kd", "cgan", "cgan-kd", "nosub-kd", "nofilter-kd", "norelabel-kd"}):
    if name not in rows:
        continue
    r = sorted(rows[name])
    accs = [a for _, a, _ in r]
    sd = statistics.stdev(accs) if len(accs) > 1 else 0.0
    print(f"{name:14s} {' '.join(f'{a:.2f}' for a in accs):>22s} {statistics.mean(accs):7.2f} {sd:5.2f} {max(accs) - min(accs):6.2f} "
          f"{' '.join(f'{t:.0f}' for _, _, t in r):>16s}")
