"""gRPC contracts (the .proto files), their generated modules, and the server that hosts them."""
