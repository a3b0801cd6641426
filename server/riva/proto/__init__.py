"""Generated Riva TTS messages (``make protos``), registered in a private descriptor pool: the stock
``nvidia-riva-client`` registers the same ``nvidia.riva.*`` names in protobuf's default pool, and both
must load in one process (an app embedding the server beside a Riva client, the test process)."""

from google.protobuf import descriptor_pool

POOL = descriptor_pool.DescriptorPool()
