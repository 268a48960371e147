#pragma once

#include "core/streamer/PipelinePolicy.h"

#include <QString>
#include <QStringList>

namespace se::gst {

// The pipeline policy's verdict on a gst-launch-1.0 command as both GStreamer
// streamers run it (GstStreamer in se-gst-host, GstInProcess in the engine):
// empty when it may run, else why not, naming the element, the property and
// the rule. `checked`, when given, gets one line per thing looked at.
//
// In order, so that nothing refused is ever made:
// 1. the launcher options: those before the pipeline, and any --gst-… word
//    anywhere (se-gst-host's gst_init takes them from everywhere);
// 2. the element names written in the description, by their factories in the
//    registry, before any element exists (elements are not even made when
//    refused by name);
// 3. the parsed graph (gst_parse_launchv, as the streamers parse it; NULL
//    state, nothing plays), every element at any depth: its factory (name and
//    class), every property with a rule, every other string property whose
//    name says it names a file, device, URI, host or program, properties left
//    for children made later (name::child::prop), and outside bytes (a
//    byteSources element) in a pipeline that writes files.
// A command GStreamer cannot build passes: nothing of it can run, and its
// start fails with GStreamer's own message.
//
// Initialises GStreamer when nobody has yet. Runs on the calling thread; it
// takes a few milliseconds (more when an element's plugin is first loaded).
QString pipelineRefusal(const QString &command, const PipelinePolicy &policy, QStringList *checked = nullptr);

} // namespace se::gst
