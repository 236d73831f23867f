"""Declarative field-based form validation with nested and list forms and safe uploads.

::

    from anemo.formvalidate import Form, IntegerField, IPField, StringField

    class HostForm(Form):
        host = StringField(max_length=255)
        ip = IPField(version=4)
        port = IntegerField(min_value=1, max_value=65535)

    form = HostForm(request.arguments)      # names -> lists of str or bytes
    if form.is_valid():
        use(form.data)                      # {"host": ..., "ip": IPv4Address(...), "port": 8080}
    else:
        show(form.errors)                   # {"port": "Enter a value of at most 65535."}
"""

from ._context import FORM_ERROR_KEY
from ._fields import (
    BooleanField,
    CheckBoxField,
    ChoiceField,
    DateField,
    DateTimeField,
    DecimalField,
    EmailField,
    EnumField,
    Field,
    FloatField,
    IntegerField,
    IPField,
    MultipleChoiceField,
    PasswordField,
    PhoneField,
    StringField,
    TimeField,
    URLField,
)
from ._form import BaseForm, Form, ListForm, Validation
from ._limits import DEFAULT_LIMITS, Limits
from ._messages import MESSAGES, add_catalog, locale_code, messages_for
from ._nesting import FormField, ListField
from ._redisplay import Submitted
from ._report import FieldError
from ._sniff import sniff_content_type
from ._uploads import FileField, UploadedFile, safe_filename
from .errors import (
    AwaitRequired,
    FormDefinitionError,
    FormDefinitionTypeError,
    FormValidateError,
    UploadSaveError,
    ValidationError,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    # forms
    "BaseForm",
    "Form",
    "ListForm",
    "FORM_ERROR_KEY",
    "Validation",
    "FieldError",
    "Submitted",
    # fields
    "Field",
    "StringField",
    "PasswordField",
    "IntegerField",
    "FloatField",
    "DecimalField",
    "BooleanField",
    "EmailField",
    "IPField",
    "URLField",
    "PhoneField",
    "ChoiceField",
    "MultipleChoiceField",
    "CheckBoxField",
    "DateField",
    "TimeField",
    "DateTimeField",
    "EnumField",
    "FormField",
    "ListField",
    "FileField",
    # uploads
    "UploadedFile",
    "safe_filename",
    "sniff_content_type",
    # limits and messages
    "Limits",
    "DEFAULT_LIMITS",
    "MESSAGES",
    "messages_for",
    "locale_code",
    "add_catalog",
    # errors
    "FormValidateError",
    "ValidationError",
    "AwaitRequired",
    "FormDefinitionError",
    "FormDefinitionTypeError",
    "UploadSaveError",
]
