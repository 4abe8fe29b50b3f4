"""Registration rules, with no I/O."""

import re
from enum import StrEnum

# Mainland China: an 11-digit mobile number, or a landline with its area code.
PHONE_PATTERN = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


class UnitKind(StrEnum):
    """Who takes part (参展单位): departments, colleges, institutes, enterprises."""

    COUNTY_BUREAU = "county_bureau"  # 县(市、区)科技局
    CITY_DEPARTMENT = "city_department"  # 市直部门
    COLLEGE = "college"  # 院校
    RESEARCH_INSTITUTE = "research_institute"  # 科研机构
    ENTERPRISE = "enterprise"  # 企业
    OTHER = "other"


def normalise_name(name: str) -> str:
    """Names compare without surrounding or repeated spaces."""
    return " ".join(name.split())
