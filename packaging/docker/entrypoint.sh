#!/bin/sh
# Container entrypoint: sets OMP_NUM_THREADS, MKL_NUM_THREADS and friends for this
# container's CPU limit (quota, cpuset, affinity; milliseconds, no LibTorch), then
# replaces itself with the command. Variables already set in the image or by
# `docker run -e` are kept. torchdiag never fails the start over a fact it cannot read:
# it falls back to a safe setting and warns on stderr. With TORCHDIAG_PROFILE naming a
# profile saved by `torchdiag recommend --measure --save FILE`, the measured settings
# are used (scaled to this container's CPUs when they differ).
set -eu
exec torchdiag recommend --exec -- "$@"
