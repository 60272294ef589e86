// A shared library without hellotrace_plugin_entry: the host must refuse it.
extern "C" __attribute__((visibility("default"))) int some_other_function(void) { return 42; }
