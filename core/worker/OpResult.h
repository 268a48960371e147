#pragma once

#include <QString>

namespace se {

// The answer to an operator's command: did it happen, and what to tell them.
struct OpResult {
    bool ok = true;
    QString message;
    QString workerId;

    static OpResult success(QString message, QString workerId = {}) { return {true, std::move(message), std::move(workerId)}; }
    static OpResult failure(QString message, QString workerId = {}) { return {false, std::move(message), std::move(workerId)}; }
};

} // namespace se
