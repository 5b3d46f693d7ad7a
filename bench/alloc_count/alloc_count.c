/* An LD_PRELOAD shim that counts a process's heap allocations, so that a
 * benchmark can report allocations per request of an unmodified binary
 * (bench/gateway). Not linked into cloudlet.
 *
 * Every malloc, calloc, realloc and aligned allocation (operator new ends in
 * one of them) adds one to a counter and forwards to glibc's own allocator
 * (__libc_*). When the process gets SIGUSR2 the shim writes the count, in
 * decimal, to the file named by CLOUDLET_ALLOC_COUNT_FILE at start-up: the
 * benchmark signals before and after a run and divides the difference by
 * the requests answered. The handler only calls open, write and close, which
 * are async-signal-safe.
 *
 * Use: LD_PRELOAD=.../libcloudlet_alloc_count.so CLOUDLET_ALLOC_COUNT_FILE=/tmp/n cloudlet gateway
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void* __libc_malloc(size_t size);
extern void* __libc_calloc(size_t count, size_t size);
extern void* __libc_realloc(void* ptr, size_t size);
extern void* __libc_memalign(size_t alignment, size_t size);

static atomic_ullong allocations;
static char count_file[4096];

static void count_one(void) { atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed); }

void* malloc(size_t size) {
  count_one();
  return __libc_malloc(size);
}

void* calloc(size_t count, size_t size) {
  count_one();
  return __libc_calloc(count, size);
}

void* realloc(void* ptr, size_t size) {
  count_one();
  return __libc_realloc(ptr, size);
}

void* aligned_alloc(size_t alignment, size_t size) {
  count_one();
  return __libc_memalign(alignment, size);
}

void* memalign(size_t alignment, size_t size) {
  count_one();
  return __libc_memalign(alignment, size);
}

int posix_memalign(void** out, size_t alignment, size_t size) {
  if (alignment < sizeof(void*) || (alignment & (alignment - 1)) != 0) return EINVAL;
  count_one();
  void* p = __libc_memalign(alignment, size);
  if (p == NULL) return ENOMEM;
  *out = p;
  return 0;
}

static void write_count(int signal_number) {
  (void)signal_number;
  int saved_errno = errno;
  char digits[32];
  size_t n = 0;
  unsigned long long value = atomic_load_explicit(&allocations, memory_order_relaxed);
  do {
    digits[sizeof digits - 1 - n++] = (char)('0' + value % 10);
    value /= 10;
  } while (value != 0 && n < sizeof digits);
  int fd = open(count_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ssize_t written = write(fd, digits + sizeof digits - n, n);
    (void)written;
    close(fd);
  }
  errno = saved_errno;
}

__attribute__((constructor)) static void install(void) {
  const char* path = getenv("CLOUDLET_ALLOC_COUNT_FILE");
  if (path == NULL || strlen(path) >= sizeof count_file) return;
  memcpy(count_file, path, strlen(path) + 1);
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = write_count;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  sigaction(SIGUSR2, &action, NULL);
}
