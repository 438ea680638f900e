"""Made-up products and the text the demo world writes about them.

Everything here is fictional: products, companies, posters, callers. Texts are assembled from
templates and slot values so that posts read like different people wrote them: the daemon
counts near-identical texts from many accounts as a copy-paste campaign.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

__all__ = [
    "DemoProduct",
    "PRODUCTS",
    "find_product",
    "background_post",
    "background_call",
    "general_post",
    "news_post",
    "wave_post",
    "wave_call",
    "usernames",
    "masked_phone",
    "agent_name",
    "replies",
]


@dataclass(frozen=True)
class DemoProduct:
    id: str
    name: str
    aliases: tuple[str, ...]
    company: str
    kind: str  # picks the vocabulary below

    def terms(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


PRODUCTS: tuple[DemoProduct, ...] = (
    DemoProduct("anxin-e", "安心e生医疗险", ("安心e生", "安心医疗险"), "瑞和保险", "medical"),
    DemoProduct("fumantang", "福满堂年金险", ("福满堂",), "长宁人寿", "annuity"),
    DemoProduct("kangning", "康宁重疾险", ("康宁重疾",), "长宁人寿", "critical"),
    DemoProduct("pingshun-auto", "平顺车险", ("平顺车保",), "瑞和保险", "auto"),
    DemoProduct("jindun", "金盾意外险", ("金盾意外",), "瑞和保险", "accident"),
)


def find_product(product_id: str) -> DemoProduct:
    for p in PRODUCTS:
        if p.id == product_id:
            return p
    known = ", ".join(p.id for p in PRODUCTS)
    raise ValueError(f"unknown demo product {product_id!r}; known: {known}")


@dataclass(frozen=True)
class _Kind:
    good: tuple[str, ...]  # something that went well, for praise
    ask: tuple[str, ...]  # a question a buyer asks
    gripe: tuple[str, ...]  # a mild complaint
    incident: tuple[str, ...]  # what led to a claim
    reason: tuple[str, ...]  # why the claim was refused


_KINDS = {
    "medical": _Kind(
        good=(
            "孩子肺炎住院五天",
            "我妈做了白内障手术",
            "急性肠胃炎住院三天",
            "体检查出结节做了微创手术",
        ),
        ask=("能报销门诊费用吗", "有没有免赔额", "甲状腺结节还能投保吗", "外地住院怎么报销"),
        gripe=("续保保费涨了不少", "理赔要的材料有点多", "客服电话经常占线"),
        incident=("急性阑尾炎住院", "肺炎住院", "做甲状腺结节手术", "胆结石住院", "急性胰腺炎住院"),
        reason=("既往症未如实告知", "还在等待期内", "医院不在指定范围", "病历上有一条旧的胃炎记录"),
    ),
    "annuity": _Kind(
        good=("第一笔生存金按时到账了", "保单贷款当天就放款了", "满期金一次就领到了"),
        ask=("每年能领多少钱", "提前退保损失大吗", "收益是固定的吗", "能不能改领取方式"),
        gripe=("分红比演示的低了一截", "保单贷款利率有点高", "领取要跑柜台办手续"),
        incident=("到了领取年龄去申请生存金", "急用钱申请保单贷款", "申请领取满期金"),
        reason=("合同约定还没到领取时间", "材料不全要重新公证", "受益人信息要重新核实"),
    ),
    "critical": _Kind(
        good=("家里老人确诊后申请赔付", "同事确诊甲状腺癌申请理赔", "我轻症理赔"),
        ask=("轻症能赔几次", "甲状腺结节能投保吗", "等待期是多久", "多次赔付值不值得加"),
        gripe=("健康告知问得太细", "核保等了好几天", "续期扣款没有提醒"),
        incident=("确诊乳腺癌", "查出早期肺癌", "心梗做了支架", "确诊脑梗"),
        reason=("不符合合同的重疾定义", "只能按轻症赔百分之三十", "投保前就有相关症状"),
    ),
    "auto": _Kind(
        good=("小区里被追尾报案", "倒车刮了柱子报案", "高速上爆胎叫了救援"),
        ask=("续保能打几折", "小刮蹭要不要走保险", "新能源车能不能买", "异地出险怎么处理"),
        gripe=("续保报价比去年贵", "定损员来得有点慢", "推销电话太多了"),
        incident=("在路口被追尾", "暴雨天车被淹", "停车时被刮花了一侧", "高速上撞了护栏"),
        reason=("驾驶人不在约定范围内", "属于发动机进水免责", "定损金额只够修一半"),
    ),
    "accident": _Kind(
        good=("孩子骑车摔伤去门诊", "下楼扭伤脚踝拍了片", "打球骨折住了几天院"),
        ask=("骑电动车受伤能赔吗", "猝死保不保", "门诊费用怎么报", "出差路上算不算"),
        gripe=("理赔要原件有点麻烦", "门诊只报一部分", "客服回复比较慢"),
        incident=("骑电动车摔伤骨折", "爬山时扭伤住院", "在工地被砸伤", "下雨天滑倒骨折"),
        reason=("属于高风险运动免责", "认定不是意外导致", "医院鉴定材料不全"),
    ),
}

_WHO = ("给我妈", "给孩子", "给我爸", "给自己", "给老婆", "给全家")
_WHEN_BUY = ("去年", "前年", "三年前", "去年年底", "前年夏天", "两年前")
_CHANNEL = ("支付宝", "微信公众号", "银行柜台", "业务员那里", "一个保险APP", "朋友发的链接")
_WHEN = ("上个月", "前阵子", "今年春节后", "上上周", "国庆前", "年初")
_WAIT = ("两个月", "四十多天", "三个多月", "快半年", "一个多月")
_TIMES = ("三", "五", "七", "十几", "二十多")


def _slots(rng: Random, p: DemoProduct) -> dict[str, str]:
    """One post's facts, sampled once so the sentences that use them agree with each other."""
    kind = _KINDS[p.kind]
    paid = rng.randint(6, 60) * 1000
    return {
        "p": rng.choice(p.terms()),
        "company": p.company,
        "who": rng.choice(_WHO),
        "when_buy": rng.choice(_WHEN_BUY),
        "channel": rng.choice(_CHANNEL),
        "when": rng.choice(_WHEN),
        "wait": rng.choice(_WAIT),
        "times": rng.choice(_TIMES),
        "good": rng.choice(kind.good),
        "ask": rng.choice(kind.ask),
        "gripe": rng.choice(kind.gripe),
        "incident": rng.choice(kind.incident),
        "reason": rng.choice(kind.reason),
        "days": str(rng.randint(2, 15)),
        "amount": str(rng.randint(8, 95) * 1000 + rng.randint(1, 9) * 100),
        "premium": str(rng.randint(3, 60) * 100),
        "paid": str(paid),
        "refund": str(int(paid * rng.uniform(0.2, 0.55)) // 100 * 100),
        "pct": str(rng.randint(18, 55)),
        "years": str(rng.randint(2, 6)),
        "age": str(rng.randint(24, 45)),
        "old": str(rng.randint(58, 76)),
        "group": str(rng.randint(3, 30) * 10),
        "hours": str(rng.choice((6, 12, 24, 48))),
    }


def _pick(rng: Random, pool: tuple[str, ...], slots: dict[str, str]) -> str:
    return rng.choice(pool).format(**slots)


# ---------------------------------------------------------------- background

_PRAISE_TITLE = (
    "{p}理赔很快，点个赞",
    "分享一下{p}的理赔经历",
    "{p}客服态度好，必须表扬",
    "{p}理赔顺利到账",
    "{p}比想象中靠谱",
)
_PRAISE_BODY = (
    "{when}{good}，在{channel}上传了材料，{days}天就处理好了。",
    "{good}，报案后第二天就有人联系，{days}个工作日办完。",
)
_PRAISE_TAIL = (
    "客服态度好，每一步都会打电话提醒。",
    "本来担心理赔难，结果挺顺利的。",
    "给{company}点个赞。",
    "材料一次就审过了，没有来回折腾。",
)
_ASK_TITLE = (
    "{p}续保问题咨询",
    "请问{p}{ask}",
    "{p}值得买吗？",
    "关于{p}的几个问题",
    "{p}的条款看不太懂",
)
_ASK_BODY = (
    "想{who}买{p}，想问一下{ask}？",
    "{when_buy}在{channel}买了{p}，现在想问{ask}。",
    "在{channel}看到{p}，{ask}？",
)
_ASK_TAIL = (
    "有了解的朋友说说，谢谢。",
    "客服说得不太清楚，想听听大家的经验。",
    "先谢过各位。",
    "",
)
_GRIPE_TITLE = ("{p}{gripe}", "吐槽一下{p}", "{p}体验一般")
_GRIPE_BODY = ("{when_buy}买的{p}，{gripe}。", "用了{years}年{p}，最近{gripe}。")
_GRIPE_TAIL = ("希望{company}改进一下。", "不算大问题，就是体验不太好。", "还在考虑要不要换一家。")


def background_post(rng: Random, p: DemoProduct) -> tuple[str, str]:
    """(title, text): praise, a question or a mild complaint, the usual chatter."""
    tone = rng.choices(("praise", "ask", "gripe"), weights=(3, 4, 3))[0]
    title, body, tail = {
        "praise": (_PRAISE_TITLE, _PRAISE_BODY, _PRAISE_TAIL),
        "ask": (_ASK_TITLE, _ASK_BODY, _ASK_TAIL),
        "gripe": (_GRIPE_TITLE, _GRIPE_BODY, _GRIPE_TAIL),
    }[tone]
    s = _slots(rng, p)
    return _pick(rng, title, s), _pick(rng, body, s) + _pick(rng, tail, s)


_NEWS_TITLE = (
    "{company}推出{p}新版，保障责任有所扩展",
    "{company}{p}上线线上理赔，小额案件{hours}小时到账",
    "{company}就{p}续保规则答记者问",
    "{p}发布年度理赔报告",
)
_NEWS_BODY = (
    "记者从{company}获悉，{p}近期调整了服务流程，客户可在{channel}办理相关业务。",
    "{company}表示，{p}将继续优化理赔服务，{ask}等常见问题已在官网集中解答。",
)


def news_post(rng: Random, p: DemoProduct) -> tuple[str, str]:
    """A neutral news item for the feed."""
    s = _slots(rng, p)
    return _pick(rng, _NEWS_TITLE, s), _pick(rng, _NEWS_BODY, s)


_GENERAL = (
    ("医保和商业保险怎么搭配？", "{age}岁，有城镇职工医保，想再补一份商业险，大家怎么配的？"),
    ("给父母买什么保险合适", "父母都{old}岁了，很多产品买不了，有没有过来人说说。"),
    ("保单年检是什么意思", "业务员说每年要做保单年检，{channel}上也能做吗？"),
    ("新人求问：犹豫期能退多少", "{when}买了一份保险，还在犹豫期，退的话是全额吗？"),
    ("大家每年保费占收入多少", "我家一年保费{premium}元左右，不知道算不算多。"),
    ("整理了一份理赔材料清单", "{when}帮朋友整理的，发票、病历、费用清单都要原件，供参考。"),
)


def general_post(rng: Random) -> tuple[str, str]:
    """Insurance talk that names no product: the forum stays busy without feeding a count."""
    title, body = rng.choice(_GENERAL)
    s = _slots(rng, rng.choice(PRODUCTS))
    return title, body.format(**s) + _pick(rng, _ASK_TAIL, s)


def background_call(rng: Random, p: DemoProduct) -> str:
    s = _slots(rng, p)
    return (
        "客户：你好，我想咨询一下{p}，{ask}？\n"
        "坐席：您好，我帮您查一下条款。\n"
        "客户：好的，另外续保要不要重新告知？\n"
        "坐席：不需要的，到期前会短信提醒您。"
    ).format(**s)


# ---------------------------------------------------------------- the wave

_CLAIM_TITLE = (
    "{p}拒赔！理由是{reason}",
    "{p}理赔难，材料交了{times}次还不给赔",
    "{incident}花了{amount}元，{p}不赔",
    "{company}的{p}理赔拖了{wait}",
    "求助：{p}以{reason}为由拒赔",
    "大家的{p}理赔也这么难吗",
    "{p}理赔被拒，感觉被坑了",
    "买的时候随便买，理赔时百般刁难，说的就是{p}",
)
_CLAIM_BODY = (
    "{who}{when_buy}在{channel}买了{p}，每年保费{premium}元。{when}{incident}，花了{amount}元。",
    "{p}是{when_buy}通过{channel}买的，一直按时续费。{when}{incident}，自费部分{amount}多元。",
    "{when}{incident}，想着有{p}，结果理赔到现在一分钱没拿到。",
)
_CLAIM_REFUSAL = (
    "提交材料后等了{wait}，最后收到拒赔通知，理由是{reason}。",
    "理赔员调查了好几次，最后说{reason}，不予赔付。",
    "客服一会说材料不全，一会说{reason}，就是不赔。",
    "等了{wait}还在审核，打客服只会说耐心等待，后来直接拒赔。",
)
_SURRENDER_TITLE = (
    "{p}退保只退了{pct}%",
    "{p}退保损失太大，业务员当初没说",
    "想退{p}，被告知只能退{refund}元",
    "{p}退保难，客服一直推脱",
    "交了{years}年{p}，退保血亏",
    "求助：{p}能不能全额退保",
)
_SURRENDER_BODY = (
    "{when_buy}业务员推荐买了{p}，说随时可以退，本金不会亏。",
    "当初在{channel}买{p}，说是存钱一样灵活，{years}年下来交了{paid}元。",
    "{who}买的{p}，一共交了{paid}元，业务员说退保不损失。",
)
_SURRENDER_LOSS = (
    "现在家里急用钱想退保，只能退{refund}元。",
    "申请退保后说要扣手续费和现金价值差额，到手只有{refund}元。",
    "业务员已经离职，公司说当初的承诺不算数，退保只给{pct}%。",
)
_FEELING = (
    "真的很寒心。",
    "感觉被骗了，买的时候什么都好说。",
    "打了{times}次客服电话都没有结果。",
    "希望{company}给个说法。",
    "不知道该找谁了。",
    "以后再也不信这些宣传了。",
)
_COLLECTIVE = (
    "我们已经建了维权群，现在有{group}多人，同样遭遇的可以私信我拉群。",
    "准备和群里的朋友一起集体投诉，材料都在整理了。",
    "已经向监管投诉了，大家也去投诉，人多才有用。",
    "这事必须曝光，遇到同样问题的朋友一起维权。",
    "有没有一起的？人够了我拉群，一起向监管投诉。",
)


def wave_post(rng: Random, p: DemoProduct, *, claim: bool, collective: bool) -> tuple[str, str]:
    """(title, text) of one complaint: a refused claim or a costly surrender."""
    s = _slots(rng, p)
    if claim:
        title = _pick(rng, _CLAIM_TITLE, s)
        parts = [_pick(rng, _CLAIM_BODY, s), _pick(rng, _CLAIM_REFUSAL, s)]
    else:
        title = _pick(rng, _SURRENDER_TITLE, s)
        parts = [_pick(rng, _SURRENDER_BODY, s), _pick(rng, _SURRENDER_LOSS, s)]
    parts += rng.sample([f.format(**s) for f in _FEELING], k=rng.randint(1, 2))
    if collective:
        parts.append(_pick(rng, _COLLECTIVE, s))
    return title, "".join(parts)


def wave_call(rng: Random, p: DemoProduct, *, claim: bool, collective: bool) -> str:
    """A complaint call as the speech-to-text system writes it down."""
    s = _slots(rng, p)
    if claim:
        lines = [
            "客户：喂，你好，我要投诉。我{when_buy}买的{p}，{when}{incident}，花了{amount}元。",
            "坐席：您好，请您提供一下保单号，我帮您查询理赔进度。",
            "客户：查了好几次了，你们说{reason}，拒赔，这不合理。",
        ]
    else:
        lines = [
            "客户：你好，我要退保，{p}交了{paid}元，为什么只退{refund}元？",
            "坐席：您好，退保是按保单的现金价值计算的。",
            "客户：当初业务员根本没说会损失这么多，我要投诉。",
        ]
    if collective:
        lines.append("客户：我们好多人都是这个情况，已经拉了维权群，再不处理就集体投诉到监管。")
    lines.append(
        rng.choice(
            (
                "坐席：理解您的心情，我帮您升级处理，{days}个工作日内回复。",
                "坐席：好的，我已经记录，会尽快给您答复。",
            )
        )
    )
    return "\n".join(lines).format(**s)


# ---------------------------------------------------------------- people

_NICK_A = ("快乐的", "安静的", "爱吃", "追风的", "南方", "北漂", "老实", "早起的", "路过的", "佛系")
_NICK_B = ("小鱼", "土豆", "橘子", "大熊", "蜗牛", "阿飞", "花卷", "老陈", "豆包", "胖虎", "猫咪")
_SURNAME = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴")


def usernames(rng: Random, n: int, taken: set[str] | None = None) -> list[str]:
    """n distinct made-up forum handles, none of them in ``taken``."""
    seen = set(taken or ())
    out: list[str] = []
    while len(out) < n:
        style = rng.random()
        if style < 0.5:
            name = f"{rng.choice(_NICK_A)}{rng.choice(_NICK_B)}{rng.randint(1, 2025)}"
        elif style < 0.8:
            letters = "".join(rng.choice("abcdefghjkmnpqrstwxyz") for _ in range(3))
            name = f"{letters}{rng.randint(1970, 2005)}"
        else:
            name = f"{rng.choice(_SURNAME)}先生{rng.randint(10, 99)}"
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


def masked_phone(rng: Random) -> str:
    """A caller number as call centres store it: only a prefix and the last four digits."""
    prefix = rng.choice(("138", "139", "136", "158", "186", "177", "150", "189"))
    return f"{prefix}****{rng.randint(0, 9999):04d}"


def agent_name(rng: Random) -> str:
    return f"{rng.choice(_SURNAME)}客服-{rng.randint(1000, 1999)}"


def replies(rng: Random, wave: bool) -> list[str]:
    """Replies under a thread; outside the detail selectors, so they are never counted."""
    pool = (
        ("同样遭遇，已私信", "顶一下，我也被拒了", "关注，求后续", "楼主加油", "这也太过分了")
        if wave
        else ("谢谢分享", "同问", "mark一下", "学习了", "顶")
    )
    return rng.sample(pool, k=rng.randint(0, 3))
