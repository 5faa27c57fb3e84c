#include "syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <dirent.h>
#include <stdlib.h>
#include <linux/close_range.h>
#include <unistd.h>

#include <string.h>

#include <string>
#include <vector>

#include "errors.h"

Napi::Value Close(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  if (close(fd) < 0 && errno != EINTR) ThrowErrno(info.Env(), errno, "close");
  return info.Env().Undefined();
}

// bindMount(source, target): mount --bind source target (pins a netns file).
Napi::Value BindMount(const Napi::CallbackInfo& info) {
  std::string src = info[0].As<Napi::String>().Utf8Value();
  std::string dst = info[1].As<Napi::String>().Utf8Value();
  if (mount(src.c_str(), dst.c_str(), nullptr, MS_BIND, nullptr) < 0)
    ThrowErrno(info.Env(), errno, "mount", dst.c_str());
  return info.Env().Undefined();
}

// unmount(target, flags): umount2(target, flags), e.g. MNT_DETACH.
Napi::Value Unmount(const Napi::CallbackInfo& info) {
  std::string dst = info[0].As<Napi::String>().Utf8Value();
  int flags = info.Length() > 1 ? info[1].As<Napi::Number>().Int32Value() : 0;
  if (umount2(dst.c_str(), flags) < 0) ThrowErrno(info.Env(), errno, "umount2", dst.c_str());
  return info.Env().Undefined();
}

// flock(fd, op): true when taken, false when LOCK_NB found it held.
Napi::Value Flock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  int op = info[1].As<Napi::Number>().Int32Value();
  int rc;
  do {
    rc = flock(fd, op);
  } while (rc < 0 && errno == EINTR);
  if (rc == 0) return Napi::Boolean::New(env, true);
  if (errno == EWOULDBLOCK && (op & LOCK_NB)) return Napi::Boolean::New(env, false);
  ThrowErrno(env, errno, "flock");
  return env.Undefined();
}

// execve(path, argv[], envp[]): replaces the process; returns only by throwing.
Napi::Value Execve(const Napi::CallbackInfo& info) {
  std::string path = info[0].As<Napi::String>().Utf8Value();
  auto toStrings = [](Napi::Array arr) {
    std::vector<std::string> out;
    for (uint32_t i = 0; i < arr.Length(); i++) out.push_back(arr.Get(i).As<Napi::String>().Utf8Value());
    return out;
  };
  std::vector<std::string> argv = toStrings(info[1].As<Napi::Array>());
  std::vector<std::string> envp = toStrings(info[2].As<Napi::Array>());
  std::vector<char*> cargv, cenvp;
  for (auto& s : argv) cargv.push_back(s.data());
  cargv.push_back(nullptr);
  for (auto& s : envp) cenvp.push_back(s.data());
  cenvp.push_back(nullptr);
  // Node ignores SIGPIPE, blocks some signals and may leave stdio non-blocking;
  // all of that would be inherited by the program we become.
  signal(SIGPIPE, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  // ...and libuv marks the stdio descriptors close-on-exec: the program we become must keep them.
  for (int fd = 0; fd <= 2; fd++) {
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0 && (fl & O_NONBLOCK)) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    int fdfl = fcntl(fd, F_GETFD);
    if (fdfl >= 0 && (fdfl & FD_CLOEXEC)) fcntl(fd, F_SETFD, fdfl & ~FD_CLOEXEC);
  }
  execve(path.c_str(), cargv.data(), cenvp.data());
  ThrowErrno(info.Env(), errno, "execve", path.c_str());
  return info.Env().Undefined();
}

// strerror(errno): the C library's text for a positive errno.
Napi::Value Strerror(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), strerror(info[0].As<Napi::Number>().Int32Value()));
}

// peerCred(fd): the credentials of a connected unix socket's peer, as the kernel
// recorded them at connect() (SO_PEERCRED): {pid, uid, gid}. Node has no API for it.
Napi::Value PeerCred(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  struct ucred cred;
  socklen_t len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
    ThrowErrno(env, errno, "getsockopt(SO_PEERCRED)");
    return env.Undefined();
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", Napi::Number::New(env, cred.pid));
  out.Set("uid", Napi::Number::New(env, cred.uid));
  out.Set("gid", Napi::Number::New(env, cred.gid));
  return out;
}

// closeOnExecFrom(first): every open descriptor >= first becomes close-on-exec, so that a child
// we spawn (a CNI plugin) gets its stdio and nothing else, also none we inherited without the flag.
// close_range(2) does it in one call (Linux 5.11+); older kernels: one fcntl per /proc/self/fd entry.
Napi::Value CloseOnExecFrom(const Napi::CallbackInfo& info) {
  unsigned int first = info[0].As<Napi::Number>().Uint32Value();
  if (syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return info.Env().Undefined();
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) {
    ThrowErrno(info.Env(), errno, "opendir", "/proc/self/fd");
    return info.Env().Undefined();
  }
  int own = dirfd(d);
  for (struct dirent* e = readdir(d); e != nullptr; e = readdir(d)) {
    char* end = nullptr;
    long fd = strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || fd < static_cast<long>(first) || fd == own) continue;
    int fl = fcntl(static_cast<int>(fd), F_GETFD);
    if (fl >= 0 && !(fl & FD_CLOEXEC)) fcntl(static_cast<int>(fd), F_SETFD, fl | FD_CLOEXEC);
  }
  closedir(d);
  return info.Env().Undefined();
}

// readDirFiles(dir, maxBytes): every regular file directly in `dir` that opens and reads, as
// [name, content] pairs in readdir order, each content cut at maxBytes. One call instead of three
// syscalls' worth of JS per file: a device's net.ipv6.conf.<dev> holds some sixty. A file that
// fails to open or read is left out (the caller cannot restore what it cannot read); only a
// directory that cannot be opened throws.
Napi::Value ReadDirFiles(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string dir = info[0].As<Napi::String>().Utf8Value();
  uint32_t max = info[1].As<Napi::Number>().Uint32Value();
  int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) {
    ThrowErrno(env, errno, "open", dir.c_str());
    return env.Undefined();
  }
  DIR* d = fdopendir(dfd);
  if (d == nullptr) {
    int err = errno;
    close(dfd);
    ThrowErrno(env, err, "fdopendir", dir.c_str());
    return env.Undefined();
  }
  Napi::Array out = Napi::Array::New(env);
  std::vector<char> buf(max);
  uint32_t n = 0;
  for (struct dirent* e = readdir(d); e != nullptr; e = readdir(d)) {
    if (e->d_type != DT_REG && e->d_type != DT_UNKNOWN) continue;
    int fd = openat(dfd, e->d_name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t got;
    do {
      got = pread(fd, buf.data(), max, 0);
    } while (got < 0 && errno == EINTR);
    close(fd);
    if (got < 0) continue;
    Napi::Array pair = Napi::Array::New(env, 2);
    pair.Set(0u, Napi::String::New(env, e->d_name));
    pair.Set(1u, Napi::String::New(env, buf.data(), static_cast<size_t>(got)));
    out.Set(n++, pair);
  }
  closedir(d);
  return out;
}
