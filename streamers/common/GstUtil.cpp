#include "GstUtil.h"

#include <cstring>

namespace se::gst {

Level levelOf(GstDebugLevel level)
{
    switch (level) {
    case GST_LEVEL_ERROR: return Level::Error;
    case GST_LEVEL_WARNING:
    case GST_LEVEL_FIXME: return Level::Warning;
    case GST_LEVEL_INFO: return Level::Information;
    case GST_LEVEL_DEBUG: return Level::Debug;
    default: return Level::Trace;
    }
}

std::string formatDebugLine(GstClockTime elapsed, GstDebugCategory *category, GstDebugLevel level, const gchar *file,
                            const gchar *function, gint line, GObject *object, GstDebugMessage *message)
{
    gchar *obj = nullptr;
    if (object && GST_IS_PAD(object) && GST_OBJECT_PARENT(object))
        obj = g_strdup_printf("<%s:%s>", GST_OBJECT_NAME(GST_OBJECT_PARENT(object)), GST_OBJECT_NAME(object));
    else if (object && GST_IS_OBJECT(object))
        obj = g_strdup_printf("<%s>", GST_OBJECT_NAME(object));
    const gchar *base = file ? strrchr(file, '/') : nullptr;
    gchar *text = g_strdup_printf("%" GST_TIME_FORMAT " %-7s %s %s:%d:%s:%s %s", GST_TIME_ARGS(elapsed),
                                  gst_debug_level_get_name(level), gst_debug_category_get_name(category),
                                  base ? base + 1 : (file ? file : ""), line, function ? function : "",
                                  obj ? obj : "", gst_debug_message_get(message));
    std::string out(text ? text : "");
    g_free(text);
    g_free(obj);
    return out;
}

void forEachElement(GstBin *bin, const std::function<void(GstElement *)> &fn)
{
    GstIterator *it = gst_bin_iterate_recurse(bin);
    GValue item = G_VALUE_INIT;
    std::vector<GstElement *> elements;
    bool done = false;
    while (!done) {
        switch (gst_iterator_next(it, &item)) {
        case GST_ITERATOR_OK:
            elements.push_back(GST_ELEMENT(g_value_dup_object(&item)));
            g_value_reset(&item);
            break;
        case GST_ITERATOR_RESYNC:
            for (GstElement *e : elements)
                gst_object_unref(e);
            elements.clear();
            gst_iterator_resync(it);
            break;
        default:
            done = true;
        }
    }
    g_value_unset(&item);
    gst_iterator_free(it);
    for (GstElement *e : elements) {
        fn(e);
        gst_object_unref(e);
    }
}

std::vector<GstElement *> fdsinksWritingTo(GstElement *pipeline, int fd)
{
    std::vector<GstElement *> out;
    forEachElement(GST_BIN(pipeline), [&](GstElement *e) {
        GstElementFactory *factory = gst_element_get_factory(e);
        if (!factory || strcmp(GST_OBJECT_NAME(factory), "fdsink") != 0)
            return;
        int value = -1;
        g_object_get(e, "fd", &value, nullptr);
        if (value == fd)
            out.push_back(e); // owned by the pipeline
    });
    return out;
}

void addFirstBufferProbes(GstElement *pipeline, GstPadProbeCallback callback, gpointer data)
{
    forEachElement(GST_BIN(pipeline), [&](GstElement *e) {
        if (!GST_OBJECT_FLAG_IS_SET(e, GST_ELEMENT_FLAG_SINK))
            return;
        GstIterator *pads = gst_element_iterate_sink_pads(e);
        GValue item = G_VALUE_INIT;
        while (gst_iterator_next(pads, &item) == GST_ITERATOR_OK) {
            gst_pad_add_probe(GST_PAD(g_value_get_object(&item)),
                              GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST), callback, data,
                              nullptr);
            g_value_reset(&item);
        }
        g_value_unset(&item);
        gst_iterator_free(pads);
    });
}

MessageText parseMessage(GstMessage *msg)
{
    MessageText out;
    GError *err = nullptr;
    gchar *debug = nullptr;
    switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ERROR: gst_message_parse_error(msg, &err, &debug); break;
    case GST_MESSAGE_WARNING: gst_message_parse_warning(msg, &err, &debug); break;
    case GST_MESSAGE_INFO: gst_message_parse_info(msg, &err, &debug); break;
    default: break;
    }
    if (GST_MESSAGE_SRC(msg)) {
        gchar *path = gst_object_get_path_string(GST_MESSAGE_SRC(msg));
        out.source = path ? path : "";
        g_free(path);
    }
    out.message = err && err->message ? err->message : "";
    out.debug = debug ? debug : "";
    g_free(debug);
    if (err)
        g_error_free(err);
    return out;
}

std::string describe(GstMessage *msg)
{
    const MessageText t = parseMessage(msg);
    const GstMessageType type = GST_MESSAGE_TYPE(msg);
    std::string out = type == GST_MESSAGE_ERROR ? "ERROR" : type == GST_MESSAGE_WARNING ? "WARNING" : "INFO";
    out += " from " + t.source + ": " + t.message;
    if (!t.debug.empty())
        out += " (" + t.debug + ")";
    return out;
}

std::string describePropertyNotify(GstMessage *msg)
{
    const gchar *name = nullptr;
    GstObject *obj = nullptr;
    const GValue *value = nullptr;
    gst_message_parse_property_notify(msg, &obj, &name, &value);
    gchar *path = obj ? gst_object_get_path_string(obj) : g_strdup("");
    gchar *v = nullptr;
    if (value && G_VALUE_HOLDS_STRING(value))
        v = g_value_dup_string(value);
    else if (value && G_VALUE_TYPE(value) == GST_TYPE_CAPS)
        v = gst_value_get_caps(value) ? gst_caps_to_string(gst_value_get_caps(value)) : nullptr;
    else if (value)
        v = gst_value_serialize(value);
    std::string out = std::string(path ? path : "") + ": " + (name ? name : "") + " = " + (v ? v : "(no value)");
    g_free(v);
    g_free(path);
    return out;
}

void QosCounter::add(GstMessage *msg)
{
    GstFormat format = GST_FORMAT_UNDEFINED;
    guint64 processed = 0, dropped = 0;
    gst_message_parse_qos_stats(msg, &format, &processed, &dropped);
    if (format != GST_FORMAT_BUFFERS && format != GST_FORMAT_DEFAULT)
        return;
    const char *name = GST_MESSAGE_SRC_NAME(msg);
    auto &c = m_counts[name ? name : "?"];
    if (c.first != processed || c.second != dropped) {
        c = {processed, dropped};
        m_dirty = true;
    }
}

std::string QosCounter::takeSummary()
{
    if (!m_dirty)
        return {};
    m_dirty = false;
    std::string text = "QoS: dropped frames";
    for (const auto &[name, counts] : m_counts)
        text += " " + name + "=" + std::to_string(counts.second) + " of " + std::to_string(counts.first + counts.second);
    return text;
}

} // namespace se::gst
