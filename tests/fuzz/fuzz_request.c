/* fuzz_request: raw bytes as a request frame (decode, envelope, validation). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_init();
	fuzz_feed(data, size);
	return 0;
}
