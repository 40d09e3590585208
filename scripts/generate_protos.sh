#!/usr/bin/env bash
# Regenerates Sources/TensorBoard/tensorboard.pb.swift from tensorboard.proto (the generated file is
# committed: CI and users never need protoc). Needs protoc (apt-get install protobuf-compiler) and
# builds swift-protobuf's plugin at the version Package.resolved pins, in /tmp.
set -euo pipefail
cd "$(dirname "$0")/.."
swift package resolve >/dev/null
version=$(python3 -c "import json; print(next(p['state']['version'] for p in json.load(open('Package.resolved'))['pins'] if p['identity'] == 'swift-protobuf'))")
src=/tmp/swift-protobuf-$version
[ -d "$src" ] || git clone -q --branch "$version" https://github.com/apple/swift-protobuf "$src"
(cd "$src" && swift build -c release --product protoc-gen-swift)
protoc --plugin=protoc-gen-swift="$src/.build/release/protoc-gen-swift" --swift_opt=Visibility=Public \
  --proto_path=Sources/TensorBoard --swift_out=Sources/TensorBoard tensorboard.proto
echo "wrote Sources/TensorBoard/tensorboard.pb.swift"
