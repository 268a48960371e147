#include "Streamer.h"

namespace se {
Streamer::~Streamer() = default;
} // namespace se
