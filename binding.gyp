{
  "targets": [
    {
      "target_name": "netdevices",
      "sources": ["native/src/addon.cc", "native/src/errors.cc", "native/src/netlink.cc", "native/src/syscalls.cc", "native/src/constants.cc", "native/src/netns-open.cc", "native/src/udp.cc", "native/src/in-netns.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS", "<!@(sh native/probe-headers.sh)"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-O2"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"]
    },
    {
      "target_name": "oci-netdevices-hook",
      "type": "executable",
      "sources": ["native/front/hook.c", "native/front/front.c"],
      "cflags": ["-std=c11", "-Wall", "-Wextra", "-O2"],
      "ldflags": ["<!@(sh native/probe-static.sh)"]
    },
    {
      "target_name": "oci-netdevices-runtime",
      "type": "executable",
      "sources": ["native/front/runtime.c", "native/front/front.c"],
      "cflags": ["-std=c11", "-Wall", "-Wextra", "-O2"],
      "ldflags": ["<!@(sh native/probe-static.sh)"]
    }
  ]
}
