#!/usr/bin/env bash
# Installs every build and test dependency of Berth from Debian's packages.
# Idempotent: packages already present are left alone; `apt-get update` runs
# only when the package lists are missing or older than a day.
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps.sh: must run as root (apt-get install)" >&2
  exit 1
fi

# Build toolchain and the libraries named in the design card.
build_pkgs=(
  build-essential cmake ninja-build pkg-config git
  clang-format clang-tidy
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libabsl-dev            # absl::Status / StatusOr, flags helpers
  nlohmann-json3-dev     # config.json, state files, runc-style JSON logs
  libseccomp-dev         # linux.seccomp
  libcap-dev             # capabilities by name (cap_from_name)
  catch2                 # unit tests (Catch2 v2 in Debian 12)
  libboost-dev           # Boost.Beast/Asio for the engine (HTTP hijacking)
  libsqlite3-dev         # the manager's metadata (WAL)
  libarchive-dev         # layer tars: gzip, zstd and plain in one reader
  libssl-dev             # sha256 (libcrypto) for content digests
)

# Test images and ground truth: busybox for the test bundle, the peers the
# integration tests and benchmarks run side by side with Berth.
test_pkgs=(
  busybox-static         # rootfs of the test bundle
  runc crun              # peer runtimes
  containerd             # ctr run --runc-binary berth-runtime
  docker.io              # dockerd --add-runtime berth=...
  skopeo umoci           # image layouts made by others
  python3-docker docker-compose
  docker-registry        # local registry on 127.0.0.1
  podman
  hyperfine              # side-by-side command timing in bench/
  iproute2 util-linux procps psmisc bsdutils  # ip, unshare/nsenter, su, ps, script
  passwd                 # useradd: the rootless test makes an unprivileged user
  jq python3
)

missing=()
for p in "${build_pkgs[@]}" "${test_pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps.sh: all ${#build_pkgs[@]}+${#test_pkgs[@]} packages present"
  exit 0
fi

lists=/var/lib/apt/lists
if [[ -z $(find "$lists" -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -n1) ]]; then
  apt-get update
fi

# Package scripts must not start daemons (dockerd, containerd, registry) on the
# host: tests start private instances of their own. policy-rc.d answers 101
# ("action not allowed") to invoke-rc.d for the length of this install.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  own_policy=1
fi
trap '[[ $own_policy -eq 1 ]] && rm -f "$policy"' EXIT

echo "install-deps.sh: installing ${missing[*]}"
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
