"""Summarises `dafl distill` run directories for docs/PRESETS.md: per run, the final and best test
accuracy of the student it delivers (the weight average with --student-ema or --student-swa, whose trained student's
final accuracy is shown too), its wall time, and the flags that differ from the cpu preset; then per
recipe the mean and standard deviation of the final accuracy over its seeds. Test accuracy is only
measured here, never used to choose anything: "best" is test-set selection.

    /usr/bin/python3 scripts/distill_table.py RUN_DIR [RUN_DIR ...]
"""
import json, statistics, sys

# The cpu preset's values; a run whose setting differs shows that flag.
DEFAULTS = {"targeted": "false", "conditioning": "noise", "student_ema": "0.0", "student_swa": "off", "adversarial": "3.0", "discrepancy": "kl", "kd_temperature": "1.0", "tv": "0.0", "hard_samples": "0.0", "balanced_replay": "false", "generator_output": "batchnorm", "collapse_reset": "50",
            "iterations": "1000", "replay_batches": "256", "student_steps": "32", "augment": "shift,flip,mixup",
            "generator_width": "64", "generator_restart": "0", "oh": "1.0", "batch": "128", "lr_g": "0.2", "lr_s": "0.002",
            "student_init": "teacher", "student_freeze": "none", "prune_fade": "0", "diversity": "0.0", "border": "3.0", "border_band": "2", "jitter": "0",
            "alpha": "0.1", "beta": "5.0", "generators": "1", "symmetry": "0.0", "boundary_samples": "0.02", "boundary_batches": "1",
            "boundary_toward": "uniform", "boundary_steps": "5", "stable_views": "false", "kd_standardize": "true", "view_labels": "teacher", "kd_intra_class": "0.0", "select": "last", "student_weight_decay": "0.0", "replay_class_cap": "1.0", "replay_keep_rare": "1.0", "student_warmup": "0",
            "replay_batch": "128", "kd_decoupled": "0.0", "lr_g_final": "constant", "ie_temperature": "1.0", "saturation": "0.0",
            "student_sam": "0.0", "kd_hard": "0.0", "kd_hint": "0.0", "generator_project28": "false", "replay_fresh": "0", "replay_pick": "all", "boundary_stop": "false", "procedural": "0.0", "boundary_procedural": "false",
            "balanced_one_hot": "false", "generator_mask": "false", "adversarial_sure": "0.0", "student_weights": "none", "adversarial_final": "constant", "student_optimizer": "adam", "student_momentum": "0.0", "generators_together": "false", "generator_beta1": "0.9", "beta_final": "constant", "ie_memory": "1.0", "impressions": "0", "impression_share": "0.25", "impression_steps": "40"}
# Logs written before a setting existed ran without it.
BEFORE = {"student_swa": "off", "student_init": "random", "student_freeze": "none", "prune_fade": "0", "diversity": "0.0", "border": "0.0", "border_band": "2", "jitter": "0",
          "generators": "1", "symmetry": "0.0", "boundary_samples": "0.0", "boundary_batches": "1", "boundary_toward": "uniform", "boundary_steps": "5",
          "stable_views": "false", "kd_standardize": "false", "view_labels": "teacher", "kd_intra_class": "0.0", "select": "last", "replay_class_cap": "1.0", "replay_keep_rare": "1.0", "student_warmup": "0",
          "kd_decoupled": "0.0", "lr_g_final": "constant", "ie_temperature": "1.0", "saturation": "0.0", "student_sam": "0.0", "kd_hard": "0.0", "kd_hint": "0.0",
          "generator_project28": "false", "replay_fresh": "0", "replay_pick": "all", "boundary_stop": "false", "procedural": "0.0", "boundary_procedural": "false",
          "balanced_one_hot": "false", "generator_mask": "false", "adversarial_sure": "0.0", "student_weights": "none", "adversarial_final": "constant", "student_optimizer": "adam", "student_momentum": "0.0", "generators_together": "false", "generator_beta1": "0.9", "beta_final": "constant", "ie_memory": "1.0", "impressions": "0", "impression_share": "0.25", "impression_steps": "40"}
# Settings whose flag is not the key with dashes.
FLAG = {"replay_batches": "replay", "student_weight_decay": "weight-decay", "student_momentum": "momentum"}
rows = []
for d in sys.argv[1:]:
    config, evals, end, selected = None, [], None, None
    for line in open(f"{d}/events.jsonl"):
        e = json.loads(line)
        if e["type"] == "config" and config is None:
            config = {**BEFORE, **e["settings"]}
        elif e["type"] == "eval" and "selected_step" in e:
            selected = e
        elif e["type"] == "eval":
            evals.append(e)
        elif e["type"] == "end":
            end = e
    if not evals or end is None:
        continue
    # The discrepancy measure matters only when the adversarial term is on.
    active = {k: v for k, v in config.items() if k != "discrepancy" or config.get("adversarial", "0.0") != "0.0"}
    # A switch the preset turns on shows as its --no- form when off.
    flags = " ".join((f"--no-{FLAG.get(k, k.replace('_', '-'))}" if v == "false" and DEFAULTS[k] == "true"
                      else f"--{FLAG.get(k, k.replace('_', '-'))}" + ("" if v == "true" else f" {v}")) for k, v in sorted(active.items())
                     if k in DEFAULTS and v != DEFAULTS[k])
    last = evals[-1]
    if end.get("reason") != "completed":
        flags = (flags + f" (stopped at {end['step']})").strip()
    trained = last.get("trained_student_accuracy")
    # A gradually pruned student's evaluations while it fades are the wide net's: not the student's best.
    delivered = [e for e in evals if "fading" not in e and e["step"] >= int(config.get("prune_fade", "0"))] or [last]
    rows.append((flags or "(cpu default)", int(config["seed"]), last["student_accuracy"], max(e["student_accuracy"] for e in delivered),
                 trained, end["time"], selected and (selected["selected_step"], selected["student_accuracy"])))

# With --select agreement, the last column is the student delivered: its iteration and accuracy (chosen without test labels).
print(f"{'recipe':40s} {'seed':>4s} {'final':>7s} {'best':>7s} {'trained':>8s} {'wall':>6s}  delivered")
for r in sorted(rows, key=lambda r: r[:6]):
    chosen = f"  {r[6][1]:.2f} (iteration {r[6][0]})" if r[6] else ""
    print(f"{r[0]:40s} {r[1]:4d} {r[2]:7.2f} {r[3]:7.2f} {(f'{r[4]:.2f}' if r[4] is not None else ''):>8s} {r[5] / 60:5.1f}m{chosen}")
print()
for recipe in sorted({r[0] for r in rows}):
    finals = [r[2] for r in rows if r[0] == recipe]
    trained = [r[4] for r in rows if r[0] == recipe and r[4] is not None]
    sd = statistics.stdev(finals) if len(finals) > 1 else 0
    extra = f"; trained student {statistics.mean(trained):.2f}" if trained else ""
    chosen = [r[6][1] for r in rows if r[0] == recipe and r[6]]
    extra += f"; delivered (selected) mean {statistics.mean(chosen):.2f} min {min(chosen):.2f}" if chosen else ""
    print(f"{recipe:40s} n={len(finals)} final mean {statistics.mean(finals):.2f} sd {sd:.2f} min {min(finals):.2f}{extra}")
