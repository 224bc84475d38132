/*
 * LD_PRELOAD shim that lets Debian 12's linux.uml (User-mode Linux 6.1) run on hosts with AMX.
 *
 * Why: UML keeps each guest task's FPU state in a fixed buffer sized at build time (2696 bytes
 * in Debian's build: x87/SSE, AVX, AVX-512 and PKRU, XSAVE features 0-9) and moves it with
 * ptrace(PTRACE_{GET,SET}REGSET, NT_X86_XSTATE). GETREGSET truncates quietly, but the host's
 * SETREGSET insists on the host's full XSAVE size (11008 bytes once AMX tile state, features 17
 * and 18, is present) and answers EFAULT, so the VM dies at its first user process:
 * "userspace - ptrace set fp regs failed, errno = 14". (Later UML sizes the buffer at run time.)
 *
 * What: an XSTATE get or set with a buffer shorter than the host's size is done at full size
 * through a scratch buffer. UML sees exactly the bytes it asked for; on a set, the part beyond
 * UML's buffer is zero, and as UML's XSAVE header never marks those components in use they are
 * put in their initial state. That is exact: a process can use AMX only after
 * arch_prctl(ARCH_REQ_XCOMP_PERM), which UML does not pass to the host, so guest AMX state is
 * always initial. Everything else goes to the real ptrace untouched.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static size_t full_size;       /* the host's user XSAVE size; 0 until probed */
static unsigned char *scratch; /* full_size bytes */

static long regset(long req, pid_t pid, void *buf, size_t len) {
  struct iovec iov = { buf, len };
  return syscall(SYS_ptrace, req, pid, (void *)NT_X86_XSTATE, &iov);
}

/* GETREGSET into a generous buffer reports how much the host filled: its full size. */
static int probe(pid_t pid) {
  if (full_size) return 0;
  size_t cap = 1 << 16;
  unsigned char *b = malloc(cap);
  if (!b) return -1;
  struct iovec iov = { b, cap };
  if (syscall(SYS_ptrace, PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, &iov) < 0) {
    free(b);
    return -1;
  }
  scratch = b; /* cap >= full size: reuse it */
  full_size = iov.iov_len;
  return 0;
}

long ptrace(enum __ptrace_request req, ...) {
  va_list ap;
  va_start(ap, req);
  pid_t pid = va_arg(ap, pid_t);
  void *addr = va_arg(ap, void *);
  void *data = va_arg(ap, void *);
  va_end(ap);
  if ((req == PTRACE_GETREGSET || req == PTRACE_SETREGSET) && (uintptr_t)addr == NT_X86_XSTATE && data) {
    struct iovec *iov = data;
    if (probe(pid) == 0 && iov->iov_len < full_size) {
      if (req == PTRACE_GETREGSET) {
        if (regset(PTRACE_GETREGSET, pid, scratch, full_size) < 0) return -1;
        memcpy(iov->iov_base, scratch, iov->iov_len);
        return 0;
      }
      memcpy(scratch, iov->iov_base, iov->iov_len);
      memset(scratch + iov->iov_len, 0, full_size - iov->iov_len);
      return regset(PTRACE_SETREGSET, pid, scratch, full_size);
    }
  }
  static long (*real)(enum __ptrace_request, ...);
  if (!real) real = (long (*)(enum __ptrace_request, ...))dlsym(RTLD_NEXT, "ptrace");
  return real(req, pid, addr, data);
}
