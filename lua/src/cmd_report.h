/* cmd_report.h - `mixdown analyze ... --report FILE.html`: the Lua side
 * (mixdown.report.analyze_main) measures with plot meters and writes the page;
 * without --report, analyze stays the C command (cmd_analyze.c). */
#ifndef MD_CMD_REPORT_H
#define MD_CMD_REPORT_H

/* 1 when argv[1..argc-1] holds --report (before a "--"). */
int md_cmd_wants_report(int argc, char **argv);
/* argv[0] is "analyze". Returns the exit code (MD_EXIT_*). */
int md_cmd_analyze_report(int argc, char **argv);

#endif
