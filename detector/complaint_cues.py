"""What the complaint gate reads in a post (``complaint``): the cue groups, found in one
Aho-Corasick pass with each cue's denial check, the marks of sarcasm, hearsay and buying set
against claiming, the features they make, and the wording's Naive-Bayes sum."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

import ahocorasick

from .categories import NEGATION_CUES, NEGATION_FILLERS, NEGATION_UNLESS
from .terms import NegationCues, fold, fold_normalized

__all__ = ["CUES", "FEATURES", "LONG_CHARS", "active_features", "features", "wording"]

# A text longer than this tells a story or an article rather than a line or two (``long``);
# chosen by cross-validation on the training part (60 to 100 did as well).
LONG_CHARS = 80

# Cue words by group. Longest wins where two overlap ("不满意" is a grievance, not the praise
# "满意" inside it), so phrases that turn a word around are listed whole.
CUES: dict[str, tuple[str, ...]] = {
    "grievance": (
        "拒赔", "拒付", "不赔", "不给赔", "拒绝理赔", "拒绝赔付", "拒绝给付", "不予赔付", "不予理赔",
        "理赔难", "理赔被拒", "被拒", "拒保", "拒绝续保", "不让续保", "不能续保", "不给退",
        "退不了", "退保难", "不给办", "误导", "忽悠", "套路", "虚假宣传", "欺诈", "骗保嫌疑",
        "乱扣", "扣费", "扣款", "多扣", "重复扣", "私自", "擅自", "莫名", "骚扰", "推销电话",
        "轰炸", "敷衍", "推诿", "推脱", "踢皮球", "扯皮", "刁难", "挂我电话", "挂电话", "不理人",
        "没人管", "没人理", "没人回复", "打不通", "转不了人工", "态度差", "态度恶劣", "不满",
        "不专业", "不负责", "不及时", "不合理", "不公平", "不成立", "压价", "太低", "缩水",
        "泄露", "倒卖", "冒用", "冒名", "代签", "不是我签", "强制", "搭售", "捆绑", "诱导",
        "停售", "涨价", "翻倍", "上浮", "不符", "不一致", "凭什么", "什么道理", "说好的",
        "承诺", "当初", "明明", "根本没", "从来没", "不给", "不让", "不肯", "找不到人",
        "不算", "免责", "不属于", "不在保障", "不在目录", "不认", "不能续", "不接受就", "合理吗",
        "正常吗", "合法吗", "这叫什么", "谁来负责", "谁负责", "谁管", "怎么解释", "给个解释",
        "取消入口", "藏得", "单方面", "照扣", "退订了还", "退订无效", "无法承保", "加条件",
        "找不到", "不是说好", "这么难", "早知道", "越想越不对", "不对劲", "涨到", "涨了", "上调",
        "直接扣", "被扣", "推销", "谁还敢", "形同虚设", "占线", "只会", "模板回复", "不告诉",
        "不是骗子", "不是坑人", "不是骗人", "不是耍人", "这不是", "到底", "卖给", "没法", "无法",
        "卡在", "一直卡", "默认勾选", "要等", "解除", "放鸽子", "忙音", "转来转去", "让找", "翻了",
        "被改", "编了", "不想赔", "没经过", "未经", "都不够", "迟到",
    ),
    "contrast": (
        "却", "可是", "但是", "结果", "居然", "竟然", "偏偏", "反而", "还说", "又说", "非说",
        "非要", "硬说", "又让", "还要", "就是不", "说好", "现在说", "现在却", "才知道", "才发现",
        "发现", "只有",
    ),
    "reported": (
        "客服说", "理赔员说", "业务员说", "公司说", "保险公司说", "销售说", "经理说", "查勘员说",
        "被告知", "告诉我", "理由是", "为由", "通知我", "让我", "要我", "叫我", "说只能", "说是",
        "说我", "说不", "说没", "说必须", "说需要", "说属于", "说按", "说要",
    ),
    "waiting": (
        "拖了", "拖着", "一拖再拖", "迟迟", "还没到账", "没到账", "还没赔", "还没退", "还没领",
        "还在审核", "仍未", "至今未", "未结", "超过30", "超30", "一直说", "还没到", "还没有到", "一直是", "等了", "等到", "至今", "到现在", "没有消息",
        "没有任何", "个月了", "天了", "一等就是", "石沉大海", "又让补", "补了", "第五次",
        "第六次", "第八次", "三次", "几次", "多次", "反复", "一遍又一遍", "来回", "跑了",
    ),
    "loss": (
        "只退", "只赔", "少赔", "只认", "只报", "一分钱", "一分不", "分钱没", "损失", "亏",
        "打水漂", "扣了", "交了", "白交", "不到所交", "本金",
    ),
    "anger": (
        "坑", "骗", "垃圾", "黑心", "恶心", "无语", "气死", "心寒", "心累", "避雷", "差评",
        "离谱", "绝了", "栓q", "破防", "服了", "后悔", "太难了", "折腾", "烦死", "欺负",
        "耍人", "荒唐", "太差", "太慢", "太坑", "恶劣", "受气", "崩溃", "疯了", "裂开",
        "会谢", "谁懂", "整不会", "太难", "慎重", "慎买", "别买", "不买了", "不敢买", "谁买谁",
        "良心", "真行", "真快", "真大方", "真是", "可真是", "有病吧",
        # praise that teaches a lesson: sarcasm without quotes
        "让我明白", "让我知道", "让我学会", "让我体会", "教会我", "刷新了我的认知", "下限",
        "终身难忘", "无限期",
    ),
    "action": (
        "投诉", "维权", "起诉", "报警", "12378", "讨说法", "讨个说法", "给个说法", "曝光",
        "媒体", "律师", "仲裁", "监管投诉", "集体", "一起去", "联合起来", "求扩散",
        "求助", "退钱", "要求退", "要求赔", "要求撤", "要求全额", "要求立即",
        "要求说明", "要求查明", "要求解释", "诉求", "升级至", "情绪激动", "激动", "追责", "吐槽", "避坑", "维权日记", "受害者",
    ),
    "challenge": (
        "算什么", "谁来补", "谁来赔", "谁授权", "谁定的", "什么才算", "那什么算", "难道", "还有没有人",
        "有人管吗", "管管", "要你们", "白做", "叫什么", "钱去哪", "还要多久", "要等多久", "要走到哪",
        "哪一条写", "在哪里?", "怎么证明", "上哪儿", "上哪去",
    ),
    "first_person": (
        "我", "我们", "我妈", "我爸", "我家", "我老公", "我老婆", "家人们", "姐妹们", "本人",
        "自己", "父亲", "母亲", "老人", "孩子", "宝宝", "爷爷", "奶奶",
    ),
    "caller": (
        "客户来电", "客户反映", "客户投诉", "客户称", "来电人", "来电客户", "客户对", "客户要求",
    ),
    "asking": (
        "请问", "想问", "请教", "咨询", "问一下", "想了解", "有没有人", "有人买过", "怎么", "如何",
        "吗", "哪个", "哪些", "多久", "多少", "能不能", "可以吗", "要不要", "值不值", "是什么",
        "什么意思", "区别", "求推荐", "有什么推荐",
    ),
    "announcing": (
        "推出", "上线", "开售", "上市", "发布", "升级", "焕新", "正式", "今日起", "今天起",
        "开启", "新增", "新版", "全新", "重磅", "首日", "覆盖", "合作", "开通", "启动",
    ),
    "reprint": ("转发", "转:", "转载", "【转】", "[转]", "分享一条", "转给", "转自", "//转", "转一下"),
    "explaining": (
        "解读", "一文", "详解", "科普", "看懂", "读懂", "测评", "指南", "误区", "小课堂", "讲清", "回答", "答:", "回复楼上", "楼主你好",
        "一般来说", "一般是", "一般可以", "具体以", "这样说", "怎么判",
        "必看", "知识", "教你", "是指", "区别在于", "汇总", "常见问题", "模板", "技巧", "一张图",
        "攻略", "注意事项", "不是一回事", "可以做什么", "通常是", "属于正常", "正常流程", "案例分析", "典型案例", "怎么办?", "怎么选", "怎么买", "有哪些",
    ),
    "news": (
        "监管", "金融监管总局", "银保监", "保险业", "行业", "通报", "数据显示", "报告", "同比",
        "环比", "宣布", "专家", "据悉", "记者", "统计", "累计", "征求意见", "规范", "公布",
        "公告", "年度", "季度", "上半年", "前三季度", "出炉", "获评", "研究", "多地",
        "多家", "某地", "某市", "全国", "警方", "法院审结", "提醒", "提示", "警惕", "谨防",
        "承保公司", "所属公司", "险企", "消费者", "办法", "通知", "召开", "会议", "强调", "年报",
        "法院", "判决", "判处", "检察", "审理", "认定", "显示", "网传", "回应", "辟谣", "说明:",
        "评价结果", "检查结果", "调查结果", "结果出炉", "诈骗", "骗取",
    ),
    "advert": (
        "限时", "优惠", "扫码", "立减", "仅需", "只需", "详询", "欲购从速", "专属", "福利",
        "活动", "点击", "预约", "免费", "直播间", "名额有限", "特惠", "开门红", "即送",
        "赠送", "领取", "锁定", "做准备", "一年只要", "保驾护航", "守护", "全面保障", "最高报销",
    ),
    "praise": (
        "感谢", "谢谢", "点赞", "好评", "顺利", "很快", "太快", "专业", "耐心", "靠谱", "到账了",
        "方便", "贴心", "周到", "负责", "满意", "省心", "放心", "五星", "给力", "及时", "准时",
        "热情", "公道", "透明", "感动", "雪中送炭", "全报了", "没有任何刁难", "一分钱没垫",
        "推荐给大家", "很好", "挺好", "不错", "简单", "高效", "就到了", "就到账", "秒接", "当天就",
        "很清楚",
    ),
    "reassuring": (
        "不存在这个问题", "传言不实", "不实", "别担心", "不用担心", "放心了", "就行",
        "并非所有", "不是所有", "不会因为", "没那么", "都赔了", "已经收到赔款", "也没涨",
        "不存在", "原来是", "改变了看法",
    ),
    "hypothetical": (
        "担心", "万一", "如果", "会不会", "以免", "怕", "防止", "避免", "之前以为", "以为",
        "希望", "打算", "考虑", "准备买", "想买", "选了",
    ),
    "advice": (
        "建议", "提醒大家", "要注意", "一定要", "记得", "最好", "优先", "适合", "不要轻信",
        "多比较", "认真看",
    ),
    "resolved": (
        "已告知", "已说明", "已指导", "已登记", "已安排", "已完成", "已发送", "已推荐", "已核实",
        "已按合同", "已为客户", "无其他", "无异议", "表示清楚", "表示满意", "客户满意", "撤回",
        "完成变更", "完成了赔付", "会按时",
    ),
    # Someone else's grievance told or weighed by an onlooker: a comment on a complaint is none.
    "onlooker": (
        "看到有人", "有人说", "有人吐槽", "有人在网上", "有人发帖", "刷到", "楼主", "评论区",
        "吃瓜", "网友", "热议", "隔壁帖子", "那个帖子", "这个帖子", "朋友圈看到", "粉丝",
        "同事说", "她说", "他说", "主播", "博主", "自媒体", "发帖人", "说句公道话", "替保司",
        "不能全怪", "客观", "不好评价",
    ),
    # The seller's or insurer's own people speaking of their work.
    "insider": (
        "我在保险公司", "我是做保险", "做保险的", "代理人", "理赔员的身份", "从业", "我们公司",
        "作为一个", "作为在", "说点真话", "说句实话", "干了", "做了七年", "做了八年", "做了十年",
    ),
    # A claim paid, an annuity received: the end of a story that is no grievance.
    "paid": (
        "赔了", "赔付了", "全额赔付", "到账", "领到", "兑现", "没后悔", "最值", "赔下来",
        "顺利赔", "已经赔", "理赔款", "赔款到",
    ),
    "notice": (
        "温馨提示", "维护", "敬请", "请注意", "请及时", "招聘", "诚聘", "内推", "五险一金", "提醒:", "查收",
        "生效", "到期", "截止", "截至",
    ),
}  # fmt: skip
COMPLAINT_GROUPS = (
    "grievance", "contrast", "reported", "waiting", "loss", "anger", "action", "challenge",
)  # fmt: skip

# Quoted praise, a laugh that is not one: mostly sarcasm in complaints.
_SARCASM = re.compile("[\"'“”‘’「『][^\"'“”‘’」』]{1,5}[\"'“”‘’」』]|呵呵|哈哈哈哈")

# Buying set against claiming ("买的时候是亲人，赔的时候是仇人", "投保时什么都不问，理赔时 ..."):
# the common shape of a grievance told without a grievance word.
_BUY_VS_CLAIM = re.compile(
    "(?:买|卖|投保|签单|交钱|交费|销售)[^,.;!?，。；！？]{0,8}(?:的时候|时)"
    ".{0,30}(?:赔|理赔|退保|出险|报销)[^,.;!?，。；！？]{0,8}(?:的时候|时)"
)

# Someone's words reported: a complainant tells what the insurer or the seller said (公司说, 说我有
# 既往症). Not 说明, 据说, 听说, 小说, 说法: explaining and hearsay; nor family, friends, the writer
# or "someone" talking (我爸说, 老公说, 孩子说, 朋友说, 我说, 有人说): chat, not a seller's word.
_SAYS = re.compile("(?<![据听小解爸妈姐哥弟妹婆奶爷友我人子儿])(?<!老公)说(?![明法])")

FEATURES: tuple[str, ...] = (
    "negative_tone",
    "category",
    *COMPLAINT_GROUPS,
    "denied",
    "sarcasm",
    "exclaim",
    "says",
    "first_person",
    "caller",
    "asking",
    "question_mark",
    "plain_question",
    "impersonal_news",
    "announcing",
    "reprint",
    "explaining",
    "news",
    "advert",
    "praise",
    "reassuring",
    "hypothetical",
    "advice",
    "notice",
    "resolved",
    "onlooker",
    "insider",
    "paid",
    "buy_vs_claim",
    "praise_grievance",
    "long",
    "wording",
)


_DENIALS = NegationCues(NEGATION_CUES, NEGATION_FILLERS, NEGATION_UNLESS)
# Praise turned around: 不专业 and 不及时 are listed as grievances; these cover the rest.
_PRAISE_DENIALS = NegationCues(("不", "没", "没有", "不够", "并不", "一点都不", "毫不"))


def _automaton() -> ahocorasick.Automaton:
    """Every cue in one Aho-Corasick automaton: folded cue -> (its length less one, its group,
    the group it counts as when denied, the check for a denial or None). The gate needs no more
    than that, so it reads the automaton itself rather than a ``TermMatcher``'s hits (a third of
    the gate's time on a long post), and decides nothing per hit that could be decided here."""
    automaton = ahocorasick.Automaton()
    for group, words in CUES.items():
        if group in COMPLAINT_GROUPS:
            turned, denial = "denied", _DENIALS.negates
        elif group == "praise":
            turned, denial = "grievance", _PRAISE_DENIALS.negates
        else:
            turned, denial = group, None
        for word in words:
            folded = fold(word)
            automaton.add_word(folded, (len(folded) - 1, group, turned, denial))
    automaton.make_automaton()
    return automaton


_CUE_AUTOMATON = _automaton()


# What counts as a grievance in sight (for ``plain_question`` and ``praise_grievance``).
_GRIEVANCE_MARKS = frozenset((*COMPLAINT_GROUPS, "sarcasm"))
_ASKING_MARKS = frozenset(("asking", "question_mark"))


def active_features(folded: str, categories: Sequence[str]) -> set[str]:
    """The names of the 0/1 features that hold for a folded text (``fold_normalized``).

    Each cue group counts once however often it is used: the gate asks what kind of text this
    is, and a long post repeating a word is no more of that kind.
    """
    active: set[str] = {"category"} if categories else set()
    # leftmost-longest, as the category tagger reads its keywords
    for end, (back, group, turned, denial) in _CUE_AUTOMATON.iter_long(folded):
        active.add(turned if denial is not None and denial(folded, end - back) else group)
    if "!" in folded:
        active.add("exclaim")
    if "?" in folded:
        active.add("question_mark")
    if _SARCASM.search(folded):
        active.add("sarcasm")
    if "说" in folded and _SAYS.search(folded):
        active.add("says")
    if "时" in folded and _BUY_VS_CLAIM.search(folded):
        active.add("buy_vs_claim")
    grievance = not active.isdisjoint(_GRIEVANCE_MARKS)
    # Asking with no grievance in sight is a question; news told by nobody in particular is news.
    if not grievance and not active.isdisjoint(_ASKING_MARKS):
        active.add("plain_question")
    # Praise beside a grievance: sarcasm, or praise for what came after one; the weight decides.
    if grievance and "praise" in active:
        active.add("praise_grievance")
    if "news" in active and "first_person" not in active:
        active.add("impersonal_news")
    # A long text uses words of every group: a story of a claim paid meets 住院 等 花了 on its way.
    if len(folded) > LONG_CHARS:
        active.add("long")
    return active


def features(text: str, sentiment: float, categories: Sequence[str]) -> dict[str, float]:
    """The gate's features of a normalised text (``normalize``), its sentiment and categories
    (``wording`` left 0: it needs a gate's weights, ``ComplaintGate.features``)."""
    f = dict.fromkeys(FEATURES, 0.0)
    for name in active_features(fold_normalized(text), categories):
        f[name] = 1.0
    f["negative_tone"] = 2.0 * (0.5 - sentiment)
    return f


def wording(units: Sequence[str], weights: Mapping[str, float]) -> float:
    """How complaint-like the wording is: the summed weights of its units (``model_features``:
    the letters and pairs the sentiment model reads, marked when negated), divided by the root
    of their number so a long post is not more of a complaint for being long."""
    if not units:
        return 0.0
    # filter(None, ...) drops the Nones of units without a weight, in C.
    return sum(filter(None, map(weights.get, units))) / math.sqrt(len(units))
