#ifndef DEMARC_CPCAP_SHIM_H
#define DEMARC_CPCAP_SHIM_H
#include <pcap/pcap.h>
#endif
