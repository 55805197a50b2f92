#ifndef DEMARC_CPCAP_SHIM_H
#define DEMARC_CPCAP_SHIM_H
#include <pcap/pcap.h>
/* __fsetlocking: the capture FILE is read by one thread, so stdio need not lock it. */
#include <stdio_ext.h>
#endif
