"""Log a PyTorch training loop in dafl's run-event schema and obey dafl's command file.

RunLog writes events.jsonl (schema version 2, docs/RUN_LOG.md); Control reads control.jsonl at step
boundaries, applies pause/resume/step/set/scale/checkpoint/stop, acknowledges each line in the log,
and under torch.distributed broadcasts the commands so that every rank applies them at the same step.
"""

import base64
import json
import math
import os
import time
import uuid

SCHEMA_VERSION = 2
CONTROL_VERSION = 1
LOG_NAME = "events.jsonl"
CONTROL_NAME = "control.jsonl"


def _rank():
    try:
        import torch.distributed as dist
        if dist.is_available() and dist.is_initialized():
            return dist.get_rank()
    except ImportError:
        pass
    return 0


class RunLog:
    """Appends run events to RUN_DIR/events.jsonl, one write per line. On ranks other than 0 every
    method does nothing, so the same code runs everywhere."""

    def __init__(self, run_dir, name=None, preset="pytorch", settings=None, class_names=None, teacher_accuracy=None,
                 resumed=False):
        self.run_dir = run_dir
        self.active = _rank() == 0
        self.start = time.time()
        self.last_step = 0
        if not self.active:
            return
        os.makedirs(run_dir, exist_ok=True)
        self._fd = os.open(os.path.join(run_dir, LOG_NAME), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.config(name or os.path.basename(os.path.abspath(run_dir)), preset, settings or {}, class_names or [],
                    teacher_accuracy, resumed)

    def _write(self, kind, step, **fields):
        if not self.active:
            return
        self.last_step = max(self.last_step, step)
        event = {"v": SCHEMA_VERSION, "type": kind, "step": int(step), "time": round(time.time() - self.start, 6)}
        event.update({k: v for k, v in fields.items() if v is not None})
        line = json.dumps(event, separators=(",", ":"), allow_nan=False, default=float) + "\n"
        os.write(self._fd, line.encode())

    def config(self, run, preset, settings, class_names, teacher_accuracy=None, resumed=False):
        self._write("config", 0, run=run, preset=preset, settings={k: str(v) for k, v in settings.items()},
                    class_names=list(class_names), resumed=resumed, teacher_accuracy=teacher_accuracy)

    def step(self, step, *, oh, a, ie, kd, total, alpha, beta, oh_weight, lr_g, lr_s, hist, steps_per_second=0.0,
             adv=None, adv_weight=None):
        """One training step: the loss terms, their weights, the learning rates and the teacher's class counts."""
        hist = [int(h) for h in hist]
        n = sum(hist)
        entropy = -sum(c / n * math.log2(c / n) for c in hist if c > 0) if n else 0.0
        finite = lambda x: float(x) if math.isfinite(float(x)) else str(float(x)).lower()  # "nan", "inf" as dafl writes them
        self._write("step", step, oh=finite(oh), a=finite(a), ie=finite(ie), kd=finite(kd), total=finite(total),
                    alpha=float(alpha), beta=float(beta), oh_weight=float(oh_weight), lr_g=float(lr_g), lr_s=float(lr_s),
                    hist=hist, hist_entropy=entropy, steps_per_second=float(steps_per_second),
                    adv=None if adv is None else finite(adv), adv_weight=adv_weight)

    def samples(self, step, images, labels, confidences, low=None, high=None):
        """Generated images (a [B, 1, H, W] tensor), contrast-stretched to bytes between the batch's 1st and
        99th percentiles (or `low`, `high`), with the teacher's labels and confidences."""
        if not self.active:
            return
        import torch
        x = images.detach().float().cpu()
        flat = x.flatten()
        lo = float(torch.quantile(flat, 0.01)) if low is None else low
        hi = float(torch.quantile(flat, 0.99)) if high is None else high
        scaled = ((x - lo) / max(hi - lo, 1e-8)).clamp(0, 1).mul(255).round().to(torch.uint8)
        _, _, h, w = scaled.shape
        items = [{"pixels": base64.b64encode(scaled[i, 0].numpy().tobytes()).decode(), "label": int(labels[i]),
                  "confidence": float(confidences[i])} for i in range(scaled.shape[0])]
        self._write("samples", step, width=w, height=h, images=items, grey_range=[lo, hi])

    def eval(self, step, student_accuracy, teacher_accuracy, agreement, best_student_accuracy):
        self._write("eval", step, student_accuracy=student_accuracy, teacher_accuracy=teacher_accuracy,
                    agreement=agreement, best_student_accuracy=best_student_accuracy)

    def control(self, step, action, key=None, old=None, new=None, source="trainer", id=None, detail=None):
        self._write("control", step, action=action, key=key, old=old, new=new, source=source, id=id, detail=detail)

    def checkpoint(self, step, path, reason="requested"):
        self._write("checkpoint", step, path=path, reason=reason)

    def end(self, step, reason, best=None, last=None):
        self._write("end", step, reason=reason, best_student_accuracy=best, last_student_accuracy=last)

    def close(self):
        if self.active:
            os.close(self._fd)
            self.active = False


class Applied:
    """What a poll asked of the training loop."""

    def __init__(self):
        self.stop = False
        self.checkpoint = False
        self.commands = []  # (command, key, value) in the order applied


def parse_command(text, line_number):
    """One line of the command file: (command, key, value, source, id), or raises ValueError(reason, id)."""
    try:
        line = json.loads(text)
        if not isinstance(line, dict):
            raise ValueError
    except ValueError:
        raise ValueError("line %d: not a command" % line_number, None)
    cid = line.get("id")
    if line.get("v") != CONTROL_VERSION:
        raise ValueError("line %d: version %r; this adapter reads version %d" % (line_number, line.get("v"), CONTROL_VERSION), cid)
    command, key, value = line.get("command"), line.get("key"), line.get("value")
    if command in ("set", "scale"):
        if not isinstance(key, str) or not key:
            raise ValueError("line %d: %s needs a key" % (line_number, command), cid)
        if not isinstance(value, (int, float)) or not math.isfinite(value) or (value < 0 if command == "set" else value <= 0):
            raise ValueError("line %d: %s %s needs a finite value%s" % (line_number, command, key, " >= 0" if command == "set" else " > 0"), cid)
    elif command not in ("pause", "resume", "step", "checkpoint", "save", "stop"):
        raise ValueError("line %d: unknown command %r" % (line_number, command), cid)
    return command, key, value, "file:%s" % line.get("source", "unknown"), cid


class Control:
    """Obeys RUN_DIR/control.jsonl: call `poll(step)` at each step boundary on every rank.

    `values` are the run's live values (e.g. alpha, beta, oh); set/scale change them. While paused,
    poll blocks (checking the file every 0.2 s) until resume, a single step, or stop. Lines written
    before the Control was made are not replayed.
    """

    def __init__(self, run_dir, log, values, distributed=None):
        self.path = os.path.join(run_dir, CONTROL_NAME)
        self.log = log
        self.values = dict(values)
        self.paused = False
        self.rank = _rank()
        if distributed is None:
            try:
                import torch.distributed as dist
                distributed = dist.is_available() and dist.is_initialized()
            except ImportError:
                distributed = False
        self.distributed = distributed
        self.offset = os.path.getsize(self.path) if os.path.exists(self.path) else 0
        self.line_number = 0
        if self.offset:
            with open(self.path, "rb") as f:
                self.line_number = f.read().count(b"\n")

    def _read(self):
        """Rank 0: parsed entries of the complete lines appended since the last read."""
        if not os.path.exists(self.path):
            return []
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        end = data.rfind(b"\n") + 1  # a torn last line waits for its end
        self.offset += end
        entries = []
        for raw in data[:end].split(b"\n")[:-1]:
            self.line_number += 1
            if not raw.strip():
                continue
            try:
                entries.append(("ok",) + parse_command(raw.decode("utf-8", "replace"), self.line_number))
            except ValueError as e:
                reason, cid = e.args
                entries.append(("rejected", reason, cid))
        return entries

    def _share(self, entries):
        if not self.distributed:
            return entries
        import torch.distributed as dist
        box = [entries]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def poll(self, step):
        applied = Applied()
        while True:
            entries = self._share(self._read() if self.rank == 0 else None)
            one_step = False
            for entry in entries:
                if entry[0] == "rejected":
                    self.log.control(step, "rejected", source="file", id=entry[2], detail="%s: %s" % (CONTROL_NAME, entry[1]))
                    continue
                _, command, key, value, source, cid = entry
                if command == "pause":
                    self.paused = True
                elif command == "resume":
                    self.paused = False
                elif command == "step":
                    one_step = True
                elif command in ("checkpoint", "save"):
                    applied.checkpoint = True
                elif command == "stop":
                    applied.stop = True
                elif command in ("set", "scale"):
                    if key not in self.values:
                        self.log.control(step, "rejected", key=key, source=source, id=cid,
                                         detail="%s is not a live value of this run" % key)
                        continue
                    old = self.values[key]
                    self.values[key] = value if command == "set" else old * value
                    self.log.control(step, "set", key=key, old=old, new=self.values[key], source=source, id=cid)
                    applied.commands.append((command, key, self.values[key]))
                    continue
                self.log.control(step, {"step": "step-once", "save": "checkpoint"}.get(command, command), source=source, id=cid,
                                 key="stopped" if command == "stop" else None)
                applied.commands.append((command, key, value))
            if applied.stop or one_step or not self.paused:
                return applied
            time.sleep(0.2)


def append_command(run_dir, command, key=None, value=None, source="script"):
    """Appends one command line to RUN_DIR/control.jsonl (what `dafl watch` does); returns its id."""
    cid = uuid.uuid4().hex[:8]
    line = {"v": CONTROL_VERSION, "id": cid, "command": command, "source": source}
    if key is not None:
        line["key"] = key
    if value is not None:
        line["value"] = value
    fd = os.open(os.path.join(run_dir, CONTROL_NAME), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(line, separators=(",", ":")) + "\n").encode())
    finally:
        os.close(fd)
    return cid
