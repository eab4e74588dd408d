/* The reference TUN-to-TUN forwarder: the same job as forwarder.ts, in C.
 * usage: forwarder NS_A DEV_A NS_B DEV_B [mt]
 * Creates DEV_A inside netns NS_A and DEV_B inside NS_B (IFF_TUN|IFF_NO_PI),
 * prints "ready", then copies every packet read from one to the other.
 * Default: one thread, one poll(2) when both are empty, non-blocking reads until EAGAIN
 * (the shape of bun-sync). `mt`: one thread per direction doing blocking reads
 * (the parallelism of bun-ring, whose reads run in Workers).
 * Compiled by run.ts at run time into a temp dir; never committed as a binary. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int open_tun(const char *ns, const char *dev) {
  char path[256];
  snprintf(path, sizeof path, "/run/netns/%s", ns);
  int self = open("/proc/thread-self/ns/net", O_RDONLY), target = open(path, O_RDONLY);
  if (self < 0 || target < 0 || setns(target, CLONE_NEWNET) < 0) { perror(ns); return -1; }
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);
  struct ifreq ifr = {0};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  strncpy(ifr.ifr_name, dev, IFNAMSIZ - 1);
  if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0) { perror(dev); return -1; }
  setns(self, CLONE_NEWNET);
  close(self);
  close(target);
  return fd;
}

static int fd[2];

static void *pump(void *arg) {
  int i = (int)(long)arg;
  static unsigned char bufs[2][65536];
  for (;;) {
    ssize_t n = read(fd[i], bufs[i], sizeof bufs[i]);
    if (n > 0) (void)!write(fd[1 - i], bufs[i], (size_t)n);
    else if (n < 0 && errno != EINTR && errno != EAGAIN) return NULL;
  }
}

int main(int argc, char **argv) {
  if (argc < 5) { fprintf(stderr, "usage: %s NS_A DEV_A NS_B DEV_B [mt]\n", argv[0]); return 2; }
  fd[0] = open_tun(argv[1], argv[2]);
  fd[1] = open_tun(argv[3], argv[4]);
  if (fd[0] < 0 || fd[1] < 0) return 1;
  printf("ready\n");
  fflush(stdout);
  if (argc > 5 && strcmp(argv[5], "mt") == 0) {
    pthread_t t;
    for (int i = 0; i < 2; i++) fcntl(fd[i], F_SETFL, fcntl(fd[i], F_GETFL) & ~O_NONBLOCK);
    pthread_create(&t, NULL, pump, (void *)1L);
    pump((void *)0L);
    return 1;
  }
  static unsigned char buf[65536];
  struct pollfd p[2] = {{fd[0], POLLIN, 0}, {fd[1], POLLIN, 0}};
  for (;;) {
    int moved = 0;
    for (int i = 0; i < 2; i++) {
      for (;;) {
        ssize_t n = read(fd[i], buf, sizeof buf);
        if (n < 0) break;
        (void)!write(fd[1 - i], buf, (size_t)n);
        moved = 1;
      }
    }
    if (!moved && poll(p, 2, -1) < 0 && errno != EINTR) return 1;
  }
}
