#include "app/cli.h"

int main(int argc, char** argv) { return klozeo::app::RunCli(argc, argv); }
