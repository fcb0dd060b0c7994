from proto import postbacks_pb2 as _postbacks_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class AnalyticsEventRequest(_message.Message):
    __slots__ = ("kind", "object_id")
    KIND_FIELD_NUMBER: _ClassVar[int]
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    kind: str
    object_id: int
    def __init__(self, kind: _Optional[str] = ..., object_id: _Optional[int] = ...) -> None: ...
