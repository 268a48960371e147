// Fuzz target for the pure hub protocol: arbitrary bytes, arbitrarily chunked,
// through RecordReader and HubProtocol::parse; every message that parses must
// write and parse again. Built as a libFuzzer target (clang, -fsanitize=fuzzer)
// or, with SE_FUZZ_STANDALONE, as a seeded random-input driver.
#include "signalr/HubProtocol.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace signalr;
    if (size == 0)
        return 0;
    RecordReader reader(64 * 1024);
    const size_t chunk = size_t(data[0] % 31) + 1;
    bool first = true;
    for (size_t i = 1; i < size; i += chunk) {
        reader.append(QByteArrayView(reinterpret_cast<const char *>(data) + i, qsizetype(std::min(chunk, size - i))));
        while (std::optional<QByteArray> rec = reader.next()) {
            if (first) {
                first = false;
                std::optional<QString> error;
                QString pe;
                HubProtocol::parseHandshakeResponse(*rec, &error, &pe);
            }
            HubMessage m;
            QString error;
            if (HubProtocol::parse(*rec, &m, &error) == HubProtocol::ParseResult::Ok) {
                // What we write parses back to the same message, and writing that again
                // gives the same bytes (numbers compared as written, not as stored).
                const QByteArray once = HubProtocol::write(m);
                HubMessage m2;
                if (HubProtocol::parse(QByteArrayView(once).chopped(1), &m2, &error) != HubProtocol::ParseResult::Ok || m2.type != m.type
                    || m2.invocationId != m.invocationId || m2.target != m.target || m2.hasResult != m.hasResult || m2.error != m.error
                    || m2.sequenceId != m.sequenceId || m2.allowReconnect != m.allowReconnect || HubProtocol::write(m2) != once) {
                    std::fprintf(stderr, "round trip broke: %s -> %s (%s)\n", rec->constData(), once.constData(), qPrintable(error));
                    std::abort();
                }
            }
        }
        if (reader.overflowed())
            break;
    }
    return 0;
}

#ifdef SE_FUZZ_STANDALONE
#include <cstdio>
#include <random>
#include <vector>

// Mutates a seed corpus of valid messages with a fixed seed: byte flips, inserted
// separators and structural characters, truncation, splicing, random bytes.
int main(int argc, char **argv)
{
    const long long runs = argc > 1 ? std::atoll(argv[1]) : 100000;
    const std::vector<std::string> seeds = {
        "\x01{}\x1e{\"type\":1,\"invocationId\":\"1\",\"target\":\"T\",\"arguments\":[1,\"a\",{\"b\":[null,true]}]}\x1e",
        "\x05{\"type\":2,\"invocationId\":\"1\",\"item\":{\"x\":1.5e10}}\x1e{\"type\":3,\"invocationId\":\"1\",\"result\":[1]}\x1e",
        "\x03{\"type\":3,\"invocationId\":\"2\",\"error\":\"e\"}\x1e{\"type\":6}\x1e{\"type\":7,\"error\":\"x\",\"allowReconnect\":true}"
        "\x1e",
        "\x07{\"type\":4,\"invocationId\":\"3\",\"target\":\"S\",\"arguments\":[],\"streamIds\":[\"1\"],\"headers\":{\"a\":\"b\"}}\x1e",
        "\x02{\"type\":5,\"invocationId\":\"4\"}\x1e{\"type\":8,\"sequenceId\":12}\x1e{\"type\":9,\"sequenceId\":3}\x1e",
        "\x04{\"error\":\"handshake \\u00e9\"}\x1e{\"type\":99}\x1e",
    };
    static const char letters[] = "{}[]\":,\x1e\\0123456789eE.-+ truefalsnul\x00\xff\xc3\xa9";
    const std::string alphabet(letters, sizeof letters - 1);
    std::mt19937_64 rng(20261128);
    std::string input;
    for (long long run = 0; run < runs; ++run) {
        input = seeds[rng() % seeds.size()];
        const int mutations = 1 + int(rng() % 8);
        for (int k = 0; k < mutations && !input.empty(); ++k) {
            const size_t pos = rng() % input.size();
            switch (rng() % 7) {
            case 0: input[pos] = char(rng()); break;
            case 1: input.insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
            case 2: input.erase(pos, 1 + rng() % 8); break;
            case 3: input.resize(pos); break;
            case 4: input += seeds[rng() % seeds.size()].substr(1); break;
            case 5: input.insert(pos, std::string(1 + rng() % 64, alphabet[rng() % alphabet.size()])); break;
            case 6: input[pos] ^= char(1 << (rng() % 8)); break;
            }
        }
        LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(input.data()), input.size());
    }
    std::printf("fuzz_hubprotocol: %lld inputs, no crash\n", runs);
    return 0;
}
#endif
