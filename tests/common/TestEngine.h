#pragma once
// A real engine in the test process: a data folder of the test's, the
// plugins this build made (FakeStreamer among them), a real SQLite file.
#include "common/Result.h"
#include "core/engine/Engine.h"
#include "TestEnv.h"

#include <memory>

inline se::Result<std::unique_ptr<se::Engine>> openTestEngine(const QString &dataDir, bool seedDemoWorkers = false)
{
    auto engine = std::make_unique<se::Engine>();
    se::EngineOptions o;
    o.dataDir = dataDir;
    o.pluginDirs = {pluginDir()};
    o.seedDemoWorkers = seedDemoWorkers;
    if (const se::Result<> opened = engine->open(o); !opened.ok)
        return se::Result<std::unique_ptr<se::Engine>>::failure(opened.message);
    return se::Result<std::unique_ptr<se::Engine>>::success(std::move(engine));
}
