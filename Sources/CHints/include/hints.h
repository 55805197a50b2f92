#ifndef DEMARC_CHINTS_H
#define DEMARC_CHINTS_H
/* Asks the CPU to load the cache line at p ahead of its use (read, kept in every level).
   A hint: it never faults and changes no result. */
static inline void demarc_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }
#endif
