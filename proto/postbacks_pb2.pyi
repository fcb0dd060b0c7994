from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class InstallPostbackRequest(_message.Message):
    __slots__ = ("install_id",)
    INSTALL_ID_FIELD_NUMBER: _ClassVar[int]
    install_id: int
    def __init__(self, install_id: _Optional[int] = ...) -> None: ...

class EventPostbackRequest(_message.Message):
    __slots__ = ("kind", "object_id")
    KIND_FIELD_NUMBER: _ClassVar[int]
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    kind: str
    object_id: int
    def __init__(self, kind: _Optional[str] = ..., object_id: _Optional[int] = ...) -> None: ...

class RegistrationPostbackRequest(_message.Message):
    __slots__ = ("project_id", "user_id")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: int
    user_id: str
    def __init__(self, project_id: _Optional[int] = ..., user_id: _Optional[str] = ...) -> None: ...

class EnqueueReply(_message.Message):
    __slots__ = ("accepted", "message")
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    accepted: bool
    message: str
    def __init__(self, accepted: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...
