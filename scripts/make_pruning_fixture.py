#!/usr/bin/python3
"""Write the units a half-width student keeps of the shipped teacher, chosen by PyTorch code.

    /usr/bin/python3 scripts/make_pruning_fixture.py

Writes Tests/DAFLEngineTests/Fixtures/lenet5_pruned_units.json: for conv1, conv2, conv3 and fc1 the
teacher's unit indices that `dafl distill --student-init teacher` keeps (the largest L1 norms of the
incoming weights from kept inputs; scripts/replay_proxy.kept_units). LeNet5PruningTests checks the
Swift pruning against it weight by weight.
"""

import json
import os
import sys

from safetensors.torch import load_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import replay_proxy  # noqa: E402

teacher = os.path.join(HERE, "..", "models", "teacher-fashion-lenet5.safetensors")
kept = replay_proxy.kept_units(load_file(teacher), "in")
out = os.path.join(HERE, "..", "Tests", "DAFLEngineTests", "Fixtures", "lenet5_pruned_units.json")
with open(out, "w") as f:
    json.dump({name: units.tolist() for name, units in kept.items()}, f, indent=1, sort_keys=True)
    f.write("\n")
print("wrote", os.path.normpath(out))
