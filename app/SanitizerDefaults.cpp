// LeakSanitizer's defaults for the engine in -DSE_ASAN=ON builds (nothing
// otherwise).
//
// The pipeline policy makes (never plays) the elements of GStreamer commands
// inside the engine, GstStreamer's too. That grows GLib's quark table, whose
// first block GLib drops on purpose (lock-free readers may still hold it), and
// an element such as timeoverlay loads fontconfig's configuration for the
// process's lifetime. Both are reported as leaks at exit and would turn every
// clean stop of the engine into exit code 1. The engine keeps the fast
// unwinder, so GLib frames without frame pointers end a stack at g_malloc:
// what is suppressed is memory GLib itself allocated (ours comes from new or
// malloc) and fontconfig's. GStreamer objects of our own are checked for leaks
// by the streamer suites, in processes whose suppressions see whole stacks.
#if defined(__SANITIZE_ADDRESS__)
extern "C" const char *__lsan_default_suppressions()
{
    return "leak:g_malloc\n"
           "leak:libfontconfig.so\n";
}
#endif
