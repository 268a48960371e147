#pragma once

#include <chrono>

namespace se {

// The last word on shutdown. Once armed (by SIGINT/SIGTERM, from inside the
// signal handler, or when the engine starts to shut down), the process ends
// by the deadline whatever its main thread does: a thread of its own waits,
// then kills every child process that is left (with its process group when
// it leads one) and calls _exit(exitCode). The engine's own, orderly path
// (Engine::shutdown's stop timeout) ends well before it.
class ShutdownGuard {
public:
    // Starts the guard's thread (once per process).
    static void install(std::chrono::milliseconds deadline, int exitCode);
    // Starts the countdown; later calls do nothing. Async-signal-safe.
    static void arm() noexcept;
    // SIGKILL to every child process still running (to its process group when
    // it leads one of its own). Returns how many there were.
    static int killChildren() noexcept;
};

} // namespace se
