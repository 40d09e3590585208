"""Summarises a cGAN-KD table directory (scripts/cgankd_table.sh, scripts/cgankd_regression_table.sh):
per method, the student's final test accuracy (regression: test MAE) for each seed, mean, standard
deviation, range, and wall time (fake-set sampling + student training), read from each run's events.jsonl."""
import glob, json, os, re, statistics, sys

out = sys.argv[1]
rows = {}
for log in sorted(glob.glob(os.path.join(out, "*-s[0-9]*/events.jsonl"))):
    name, seed = re.match(r"(.+)-s(\d+)$", os.path.basename(os.path.dirname(log))).groups()
    end, mae = None, None
    for line in open(log):
        e = json.loads(line)
        if e["type"] == "end":
            end = e
        elif e["type"] == "metrics" and e.get("stage") == "student" and "test_mae" in e["values"]:
            mae = e["values"]["test_mae"]
    if end is None or end.get("reason") != "completed":
        continue
    score = end.get("last_student_accuracy", mae) if end.get("last_student_accuracy") is not None else mae
    if score is None:
        continue
    fake = "full" if name in ("cgan", "cgan-kd") else name.removesuffix("-kd") if name.endswith("-kd") and name != "cgan-kd" else None
    sampling = 0.0
    if fake and os.path.exists(os.path.join(out, f"fake-{fake}-s{seed}.seconds")):
        sampling = float(open(os.path.join(out, f"fake-{fake}-s{seed}.seconds")).read())
    rows.setdefault(name, []).append((int(seed), score, sampling + end["time"]))

print(f"{'method':14s} {'seeds':>22s} {'mean':>7s} {'sd':>5s} {'range':>6s} {'wall (s)':>16s}")
order = ["nokd", "kd", "cgan", "cgan-kd", "nosub-kd", "nofilter-kd", "norelabel-kd", "nosub", "nofilter", "norelabel"]
for name in [n for n in order if n in rows] + sorted(set(rows) - set(order)):
    if name not in rows:
        continue
    r = sorted(rows[name])
    accs = [a for _, a, _ in r]
    sd = statistics.stdev(accs) if len(accs) > 1 else 0.0
    print(f"{name:14s} {' '.join(f'{a:.2f}' for a in accs):>22s} {statistics.mean(accs):7.2f} {sd:5.2f} {max(accs) - min(accs):6.2f} "
          f"{' '.join(f'{t:.0f}' for _, _, t in r):>16s}")
