"""Fixtures for the matching engine: the knowledge base once per session, small exchange-format corpora."""
from __future__ import annotations

import pytest

from matching.knowledge import knowledge_base
from matching.rank import MatchIndex

PARTNER_MARKERS = ("蓝鲸密钥", "紫藤暗号", "橙狐专利")


def project(pid: str, **fields) -> dict:
    """A project record in the exchange format; unspecified keys are simply absent."""
    return {"id": pid, **fields}


@pytest.fixture(scope="session")
def knowledge():
    """The NMPA knowledge base, fitted once for the whole test session."""
    return knowledge_base()


@pytest.fixture(scope="session")
def projects():
    """Three clearly different projects; partner-tier fields carry marker words."""
    return [
        project(
            "p-stapler", name="一次性使用痔疮套扎器", city="福州", department="肛肠科", project_type="passive",
            device_class="II", stage="sample", province="福建省",
            intended_use="用于对各期内痔及混合痔的套扎治疗。",
            structure=f"由电动手柄、套扎组件和负压管组成。{PARTNER_MARKERS[0]}",
            principle=f"利用负压将黏膜组织吸入负压管，弹力线套扎痔基底部。{PARTNER_MARKERS[1]}",
            ip_status=f"已申请发明专利{PARTNER_MARKERS[2]}",
            partners_in_province="福建某医疗器械公司", partners_out_of_province="",
        ),
        project(
            "p-glucose", name="连续血糖监测系统", city="厦门", department="内分泌科", project_type="active",
            device_class="III", stage="design_verification", province="福建省",
            intended_use="用于糖尿病患者组织间液葡萄糖浓度的连续监测。",
            structure="由传感器、发射器和接收器组成。", principle="葡萄糖氧化酶电化学法测定组织液葡萄糖。",
        ),
        project(
            "p-reagent", name="新型冠状病毒抗原检测试剂盒", city="泉州", department="检验科", project_type="ivd",
            device_class="III", stage="registration_testing",
            intended_use="用于体外定性检测鼻咽拭子样本中的新型冠状病毒抗原。",
            structure="由检测卡、样本提取液组成。", principle="胶体金免疫层析法。",
        ),
    ]


@pytest.fixture(scope="session")
def enterprises():
    """Enterprises whose product lines each fit one project above."""
    return [
        # An electric-handle ligator is NMPA 01-10 (active surgical, as decided in 2021), so the
        # partner that shares its category makes active as well as passive surgical devices.
        {"id": "e-anorectal", "name": "闽江肛肠器械有限公司", "field": "有源手术器械、无源手术器械", "region": "福建省",
         "overview": "公司主要产品：电动痔疮套扎器（由电动手柄、套扎组件和负压管组成，用于内痔套扎治疗）；"
                     "肛门镜（用于肛门检查）",
         "intents": [{"id": "i-1", "description": "寻求肛肠外科痔疮治疗器械项目", "keywords": ["痔疮", "套扎"],
                      "device_classes": ["II", "III"], "stages": ["sample", "design_verification"],
                      "cooperation_modes": ["joint_development"], "budget_wan": 300,
                      "region_preference": "in_province"}]},
        {"id": "e-diabetes", "name": "鹭岛传感科技", "field": "医用诊察和监护器械", "region": "上海市",
         "overview": "公司主要产品：动态血糖监测仪（由葡萄糖传感器、发射器组成，连续监测皮下组织间液葡萄糖浓度）",
         "intents": [{"description": "糖尿病血糖监测类项目", "keywords": ["血糖"], "device_classes": ["II", "III"],
                      "stages": [], "cooperation_modes": [], "budget_wan": None, "region_preference": "any"}]},
        {"id": "e-ivd", "name": "泉山生物", "field": "体外诊断试剂", "region": "福建省",
         "overview": "公司主要产品：病毒抗原检测试剂盒（胶体金法）；核酸检测试剂盒（荧光PCR法）",
         "intents": [{"description": "传染病快速检测试剂", "keywords": ["抗原", "胶体金"], "device_classes": [],
                      "stages": [], "cooperation_modes": [], "budget_wan": 500, "region_preference": None}]},
    ]


@pytest.fixture(scope="session")
def index(knowledge, projects, enterprises):
    """The small corpus, indexed once."""
    return MatchIndex.build(projects, enterprises, knowledge=knowledge)
