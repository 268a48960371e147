#pragma once
// A throw-away certificate for 127.0.0.1 made by openssl, for TLS tests.
#include <QFile>
#include <QProcess>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QTemporaryDir>

struct SelfSignedCertificate {
    QTemporaryDir dir;
    QString certificatePath = dir.filePath(QStringLiteral("cert.pem"));
    QString privateKeyPath = dir.filePath(QStringLiteral("key.pem"));
    QSslCertificate certificate;
    QSslKey privateKey;

    // False when openssl is missing or failed (tests then skip).
    bool create()
    {
        QProcess openssl;
        openssl.start(QStringLiteral("openssl"),
                      {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", privateKeyPath, "-out", certificatePath, "-days", "1",
                       "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"});
        if (!openssl.waitForFinished(60000) || openssl.exitCode() != 0)
            return false;
        const QList<QSslCertificate> certs = QSslCertificate::fromPath(certificatePath);
        QFile keyFile(privateKeyPath);
        if (certs.isEmpty() || !keyFile.open(QIODevice::ReadOnly))
            return false;
        certificate = certs.first();
        privateKey = QSslKey(&keyFile, QSsl::Rsa);
        return !privateKey.isNull();
    }

    // Qt's defaults plus this certificate as a trusted authority.
    QSslConfiguration trustingConfiguration() const
    {
        QSslConfiguration c = QSslConfiguration::defaultConfiguration();
        c.addCaCertificate(certificate);
        return c;
    }
};
