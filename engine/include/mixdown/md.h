/* md.h - the mixdown engine: include this one. */
#ifndef MD_H
#define MD_H
#include "md_error.h"
#include "md_buffer.h"
#include "md_param.h"
#include "md_node.h"
#include "md_graph.h"
#include "md_io.h"
#include "md_meter.h"
#include "md_analyze.h"
#include "md_automation.h"
#include "md_eq.h"
#include "md_restore.h"
#include "md_dynamics.h"
#include "md_tags.h"
#define MD_VERSION "0.1.0"
#endif
