#!/bin/sh
# The cGAN-KD regression table (docs/CGANKD.md): rotated Fashion-MNIST, angles -45…45°, N labelled
# images per class. A LeNet-5 teacher, one CcGAN, then LeNet-5-half students with seeds 0-2: NOKD
# (real images only), cGAN-KD (subsampling, filter ρ 0.7, relabelling), and the ablations without
# subsampling, without the filter, without relabelling. Then a summary table (test MAE in degrees).
#
#   scripts/cgankd_regression_table.sh 500        # 5,000 labelled images
#
# Environment: OUT (default runs/cgankd-reg-N), DAFL (default .build/release/dafl), GAN_STEPS (4000),
# FAKE (processed fake images, 20000), EPOCHS (student epochs, 60), SEEDS ("0 1 2").
# Existing outputs are reused, so an interrupted table continues.
set -e
N=${1:?usage: cgankd_regression_table.sh PER_CLASS}
DAFL=${DAFL:-.build/release/dafl}
OUT=${OUT:-runs/cgankd-reg-$N}
GAN_STEPS=${GAN_STEPS:-4000}
FAKE=${FAKE:-20000}
EPOCHS=${EPOCHS:-60}
SEEDS=${SEEDS:-0 1 2}
mkdir -p "$OUT"
T=$OUT/teacher.safetensors
G=$OUT/gan/generator.safetensors
[ -f "$T" ] || $DAFL teacher --task rotation --per-class "$N" --epochs 60 --batch 128 --out "$T"
[ -f "$G" ] || $DAFL cgan train --task rotation --per-class "$N" --iterations "$GAN_STEPS" --teacher "$T" --fd-every 500 --every 250 \
    --headless --out "$OUT/gan"

# distill NAME SEED FLAGS…: one student run, skipped when its run directory has finished.
distill() {
    name=$1; seed=$2; shift 2
    dir=$OUT/$name-s$seed
    if [ -f "$dir/student.safetensors" ]; then return; fi
    rm -rf "$dir"
    $DAFL cgan distill --task rotation --teacher "$T" --per-class "$N" --epochs "$EPOCHS" --seed "$seed" --json --run-dir "$dir" "$@" | tail -1
}

for s in $SEEDS; do
    distill nokd "$s" --fake 0
    distill cgan "$s" --generator "$G" --fake "$FAKE" --subsample --relabel
    distill nosub "$s" --generator "$G" --fake "$FAKE" --relabel
    distill nofilter "$s" --generator "$G" --fake "$FAKE" --subsample --relabel --rho 1
    distill norelabel "$s" --generator "$G" --fake "$FAKE" --subsample
done
/usr/bin/python3 "$(dirname "$0")/cgankd_table.py" "$OUT"
