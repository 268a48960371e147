// A shared object that says it was loaded: its constructor creates the file
// named by SE_POLICY_MARKER. tst_gstpolicy hands it to --gst-plugin-load (and
// to dataurisrc as bytes) to show that attacker code never runs.
#include <cstdlib>

#include <fcntl.h>
#include <unistd.h>

namespace {
__attribute__((constructor)) void markLoaded()
{
    if (const char *path = std::getenv("SE_POLICY_MARKER")) {
        const int fd = ::open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        if (fd >= 0)
            ::close(fd);
    }
}
} // namespace
