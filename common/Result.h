#pragma once

#include <QString>

#include <utility>

namespace se {

// What an operation that can fail gives back, in every layer: whether it
// happened, a line for whoever asked (on success what happened, possibly
// empty; on failure why), and with Result<T> what it made. Not to be ignored.
//
//   Result<> r = manager.start(id);            // r.ok, r.message
//   Result<QString> made = manager.create(c);  // made.value: the new worker's id
template <typename T = void>
struct [[nodiscard]] Result {
    bool ok = false;
    QString message;
    T value{}; // what it made: set on success, and on a failure that still made something

    static Result success(T value, QString message = {}) { return {true, std::move(message), std::move(value)}; }
    static Result failure(QString why) { return {false, std::move(why), T{}}; }
    explicit operator bool() const { return ok; }
    const T *operator->() const { return &value; }
};

template <>
struct [[nodiscard]] Result<void> {
    bool ok = false;
    QString message;

    static Result success(QString message = {}) { return {true, std::move(message)}; }
    static Result failure(QString why) { return {false, std::move(why)}; }
    explicit operator bool() const { return ok; }
};

} // namespace se
