#!/bin/sh
# The cGAN-KD acceptance table (docs/CGANKD.md): for one subset size, a teacher, a conditional GAN,
# then students with seeds 0-2: NOKD, KD, cGAN-KD, cGAN-KD + KD, and (with --ablation) cGAN-KD + KD
# without cDR-RS subsampling, without the filter, without relabelling. Then a summary table.
#
#   scripts/cgankd_table.sh 1000 [--ablation]     # 10k images (1,000 per class)
#   scripts/cgankd_table.sh 6000                  # 60k
#
# Environment: OUT (default runs/cgankd-N), DAFL (default .build/release/dafl), GAN_STEPS (5000),
# FAKE (fake images per class, 3000), DR_EPOCHS (density-ratio epochs, 20; use 4 at 60k for the same
# number of updates), SEEDS ("0 1 2"). Existing outputs are reused, so an interrupted table continues.
set -e
N=${1:?usage: cgankd_table.sh PER_CLASS [--ablation]}
ABLATION=${2:-}
DAFL=${DAFL:-.build/release/dafl}
OUT=${OUT:-runs/cgankd-$N}
GAN_STEPS=${GAN_STEPS:-5000}
FAKE=${FAKE:-3000}
DR_EPOCHS=${DR_EPOCHS:-20}
SEEDS=${SEEDS:-0 1 2}
mkdir -p "$OUT"
T=$OUT/teacher.safetensors
G=$OUT/gan/generator.safetensors
[ -f "$T" ] || $DAFL teacher --per-class "$N" --epochs 30 --out "$T"
[ -f "$G" ] || $DAFL cgan train --per-class "$N" --iterations "$GAN_STEPS" --teacher "$T" --fd-every 1000 --every 250 --headless --out "$OUT/gan"

# distill NAME SEED FLAGS…: one student run, skipped when its run directory has finished.
distill() {
    name=$1; seed=$2; shift 2
    dir=$OUT/$name-s$seed
    if [ -f "$dir/student.safetensors" ]; then return; fi
    rm -rf "$dir"
    $DAFL cgan distill --teacher "$T" --per-class "$N" --seed "$seed" --json --run-dir "$dir" "$@" | tail -1
}
# sample NAME SEED FLAGS…: a processed fake set, timed (seconds in NAME-sSEED.seconds).
sample() {
    name=$1; seed=$2; shift 2
    file=$OUT/fake-$name-s$seed.safetensors
    if [ -f "$file" ]; then return; fi
    start=$(date +%s.%N)
    $DAFL cgan sample --teacher "$T" --generator "$G" --per-class "$N" --fake-per-class "$FAKE" --dr-epochs "$DR_EPOCHS" \
        --seed "$seed" --json --out "$file" "$@" | tail -1
    awk "BEGIN { print $(date +%s.%N) - $start }" > "$OUT/fake-$name-s$seed.seconds"
}

for s in $SEEDS; do
    distill nokd "$s" --fake-per-class 0
    distill kd "$s" --fake-per-class 0 --kd 1
    sample full "$s" --subsample --relabel
    distill cgan "$s" --fake-set "$OUT/fake-full-s$s.safetensors"
    distill cgan-kd "$s" --fake-set "$OUT/fake-full-s$s.safetensors" --kd 1
    if [ "$ABLATION" = "--ablation" ]; then
        sample nosub "$s" --relabel
        distill nosub-kd "$s" --fake-set "$OUT/fake-nosub-s$s.safetensors" --kd 1
        sample nofilter "$s" --subsample --relabel --rho 1
        distill nofilter-kd "$s" --fake-set "$OUT/fake-nofilter-s$s.safetensors" --kd 1
        sample norelabel "$s" --subsample
        distill norelabel-kd "$s" --fake-set "$OUT/fake-norelabel-s$s.safetensors" --kd 1
    fi
done
/usr/bin/python3 "$(dirname "$0")/cgankd_table.py" "$OUT"
