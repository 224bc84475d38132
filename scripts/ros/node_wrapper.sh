#!/bin/sh
# ROS 2 executable of one vil node. CMakeLists.txt installs this file into lib/vil once per node,
# under the node's name (rtk_serial, can_bridge, ..., vil_all = every node in one process; `vil` =
# the command line, e.g. `ros2 run vil vil doctor`), so
# `ros2 run vil rtk_serial --ros-args ...` and launch_ros Node(package='vil', executable='rtk_serial')
# run `vil run rtk_serial --ros-args ...` on the Node.js 22 installed in share/vil/node_modules.
set -e
# Not resolving symlinks on purpose: with `colcon build --symlink-install` this file is a symlink
# into the source tree, and the install prefix is where the link lives.
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
share="$here/../../share/vil"
name=$(basename -- "$0")
# `vil` itself is the whole CLI (ros2 run vil vil doctor --params-file ...), not one node.
case "$name" in
  vil) node_name= ;;
  vil_all) node_name=all ;;
  *) node_name=$name ;;
esac

main="$share/dist/nodes/cli/main.js"
if [ ! -f "$main" ]; then
  echo "vil: $main not found. Fix: build and install the package (colcon build), then source install/setup.bash" >&2
  exit 127
fi

node="$share/node_modules/.bin/node"
if [ ! -x "$node" ]; then
  node=$(command -v node || true)
  if [ -z "$node" ]; then
    echo "vil: no Node.js: neither $share/node_modules/.bin/node (npm's node-linux-* package) nor node on PATH" >&2
    exit 127
  fi
  if ! "$node" -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 12) ? 0 : 1)'; then
    echo "vil: $node is Node.js $("$node" --version); vil needs >= 22.12. Fix: rebuild the package so npm installs Node 22 into share/vil/node_modules" >&2
    exit 1
  fi
fi

# Under ros2 run / launch the ROS implementation is rclnodejs: a failure to load it is an error,
# not a silent fallback to the in-process graph. VIL_ROS=auto|local in the environment overrides.
VIL_ROS=${VIL_ROS:-rclnodejs}
export VIL_ROS
if [ -z "$node_name" ]; then
  exec "$node" "$main" "$@"
fi
exec "$node" "$main" run "$node_name" "$@"
