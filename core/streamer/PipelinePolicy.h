#pragma once

#include "common/Result.h"

#include <QJsonObject>
#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>

namespace se {

// What a property's value must be to pass the pipeline policy.
struct PropertyRule {
    enum class Kind {
        ReadMediaFile,  // an absolute path inside a media folder (or unset)
        WriteMediaFile, // the same; the element writes files (see byteSources)
        NetworkHost,    // a host name or address that networkHosts allows
        HostList,       // "host:port,host:port…", every host allowed
        Uri,            // scheme in uriSchemes, host allowed by networkHosts
        ElementFactory, // the name of an element factory the policy allows
        OneOf,          // one of `values` (as text: "1", "2")
        Unset,          // left empty: the command may not set it
        Any,            // anything: says the property was looked at
    };
    Kind kind = Kind::Any;
    QStringList values; // OneOf

    QString name() const; // as in the file: "read-media-file", "one-of"…
    friend bool operator==(const PropertyRule &, const PropertyRule &) = default;
};

// The pipeline policy: what a worker's pipeline may contain. Plain data and
// the checks that need no streaming technology (paths, hosts, URIs, element
// names); a streamer that runs pipelines walks its own parsed graph and asks
// these (StreamerPlugin::refusal). Read from <data folder>/pipeline-policy.json;
// see docs/pipeline-policy.md.
struct PipelinePolicy {
    static constexpr const char *kFileName = "pipeline-policy.json";

    // Requests from local operators (ctl, dashboard) are not checked.
    bool trustLocalOperators = false;
    // Folders whose files the file elements may read and write (absolute,
    // cleaned; symbolic links are resolved when a path is checked).
    QStringList mediaFolders;
    // Host patterns for network elements, first match wins; "!pattern" refuses.
    QStringList networkHosts;
    // URI schemes network elements may use.
    QStringList uriSchemes;
    // Launcher options a command may carry (the name before '=').
    QStringList launcherOptions;
    // Element factories allowed by name...
    QStringList elements;
    // ...or by class: "Codec/Decoder" allows every factory whose class has
    // both words ("Codec/Decoder/Video/Hardware").
    QStringList elementClasses;
    // Refused even when a name or class above allows them (names or classes).
    QStringList refusedElements;
    // Elements that put bytes from outside (a URI's data, the application)
    // into a pipeline: refused in a pipeline that writes files.
    QStringList byteSources;
    // "factory.property" → rule.
    QMap<QString, PropertyRule> propertyRules;

    // Where it came from: "built-in default" or the file's path.
    QString source;

    // The default a control room can live with: media in <dataDir>/media.
    static PipelinePolicy builtInDefault(const QString &dataDir);
    // <dataDir>/pipeline-policy.json, or the built-in default when there is
    // none. A file that cannot be read or is not a valid policy fails, saying
    // why (the engine then refuses to start).
    static Result<PipelinePolicy> load(const QString &dataDir);
    // A policy from the file's JSON; keys absent keep the default's values.
    static Result<PipelinePolicy> fromJson(const QJsonObject &json, const QString &dataDir);
    // The file's format (what `ctl policy show --json` prints).
    QJsonObject toJson() const;

    // The checks. Each returns empty when allowed, else why not (a phrase
    // for "… breaks rule X: <why>").
    QString optionRefusal(const QString &option) const;
    QString elementRefusal(const QString &factory, const QString &klass) const;
    QString pathRefusal(const QString &path) const;
    QString hostRefusal(const QString &host) const;
    QString hostListRefusal(const QString &clients) const;
    QString uriRefusal(const QString &uri) const;
    // The rule for `property` of `factory`, if the policy has one.
    std::optional<PropertyRule> ruleFor(const QString &factory, const QString &property) const;
    // Whether a property's name says it names a file, device, URI, host or
    // program (then a value other than its default needs a rule).
    static bool namesSomethingOutside(const QString &property);

    // A path made absolute and free of symbolic links as far as it exists;
    // empty with `why` for a link that points nowhere.
    static QString resolvePath(const QString &absolutePath, QString *why);
};

} // namespace se
