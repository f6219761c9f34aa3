/* main.c - the mixdown executable: hands argv to the CLI. */
#include "cli.h"

int main(int argc, char **argv) { return md_cli_main(argc, argv); }
