"""Certificates, requests and the issuer's settings. A certificate is kept as it was issued: the
database refuses to change or delete one, whoever asks (the admin, a script, a hand-typed UPDATE).
A wrong certificate is answered by issuing a new one, never by editing the old."""

from decimal import Decimal

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

IMMUTABLE = """
CREATE FUNCTION certificates_certificate_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'certificates are kept as issued: certificate % cannot be %', OLD.number, lower(TG_OP)
        USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER certificates_certificate_immutable BEFORE UPDATE OR DELETE ON certificates_certificate
    FOR EACH ROW EXECUTE FUNCTION certificates_certificate_immutable();
"""
NOT_IMMUTABLE = """
DROP TRIGGER certificates_certificate_immutable ON certificates_certificate;
DROP FUNCTION certificates_certificate_immutable();
"""


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('people', '0004_person_certificate_identity_and_board_choice'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Certificate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(max_length=64, unique=True, verbose_name='证明编号')),
                ('year', models.PositiveSmallIntegerField(verbose_name='年度')),
                ('serial', models.PositiveIntegerField(verbose_name='年度序号')),
                ('token', models.CharField(editable=False, max_length=64, unique=True, verbose_name='核验码')),
                ('period_start', models.DateField(verbose_name='服务时段起')),
                ('period_end', models.DateField(verbose_name='服务时段止')),
                ('hours', models.DecimalField(decimal_places=1, max_digits=8, verbose_name='服务时长（小时）')),
                ('activity_count', models.PositiveIntegerField(verbose_name='服务次数')),
                ('content', models.TextField(verbose_name='服务内容')),
                ('name', models.CharField(max_length=64, verbose_name='姓名')),
                ('id_type', models.CharField(blank=True, choices=[('resident_id', '居民身份证'), ('hk_macao_permit', '港澳居民来往内地通行证'), ('taiwan_permit', '台湾居民来往大陆通行证'), ('passport', '护照'), ('foreign_permanent_resident', '外国人永久居留身份证')], max_length=32, verbose_name='证件类型')),
                ('id_tail', models.CharField(blank=True, max_length=4, verbose_name='证件号码后四位')),
                ('volunteer_number', models.CharField(blank=True, max_length=32, verbose_name='志愿者编号')),
                ('organisation_name', models.CharField(max_length=64, verbose_name='出具单位')),
                ('responsible_person', models.CharField(max_length=32, verbose_name='负责人')),
                ('handler', models.CharField(max_length=150, verbose_name='经办人')),
                ('contact_phone', models.CharField(max_length=32, verbose_name='联系电话')),
                ('seal', models.CharField(blank=True, max_length=200, verbose_name='印章图片')),
                ('counted_records', models.JSONField(default=list, verbose_name='计入的服务记录')),
                ('set_apart_records', models.JSONField(blank=True, default=list, verbose_name='未计入的服务记录')),
                ('issued_on', models.DateField(verbose_name='出具日期')),
                ('issued_at', models.DateTimeField(verbose_name='出具时间')),
                ('issued_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='出具人')),
                ('person', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='certificates', to='people.person', verbose_name='志愿者')),
            ],
            options={
                'verbose_name': '志愿服务证明',
                'verbose_name_plural': '志愿服务证明',
                'ordering': ['-issued_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='CertificateRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('period_start', models.DateField(verbose_name='服务时段起')),
                ('period_end', models.DateField(verbose_name='服务时段止')),
                ('note', models.TextField(blank=True, verbose_name='说明')),
                ('requested_at', models.DateTimeField(auto_now_add=True, verbose_name='申请时间')),
                ('status', models.CharField(choices=[('open', '待处理'), ('issued', '已出具'), ('declined', '未出具')], default='open', max_length=16, verbose_name='状态')),
                ('decline_reason', models.TextField(blank=True, verbose_name='不予出具的原因')),
                ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='处理时间')),
                ('certificate', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='request', to='certificates.certificate', verbose_name='出具的证明')),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='处理人')),
                ('person', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='certificate_requests', to='people.person', verbose_name='志愿者')),
            ],
            options={
                'verbose_name': '志愿服务证明申请',
                'verbose_name_plural': '志愿服务证明申请',
                'ordering': ['-requested_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='IssuerSettings',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('organisation_name', models.CharField(default='十堰市张湾区河长制办公室', max_length=64, verbose_name='出具单位')),
                ('number_prefix', models.CharField(default='张湾志证', help_text='编号形如“张湾志证〔2026〕第0001号”，每年从 0001 起。', max_length=16, verbose_name='证明编号代字')),
                ('responsible_person', models.CharField(blank=True, max_length=32, verbose_name='负责人')),
                ('handler', models.CharField(blank=True, help_text='留空时，证明上的经办人是出具证明的工作人员。', max_length=32, verbose_name='经办人')),
                ('contact_phone', models.CharField(blank=True, max_length=32, verbose_name='联系电话')),
                ('seal', models.CharField(blank=True, editable=False, max_length=200, verbose_name='印章图片')),
                ('star_1_hours', models.PositiveIntegerField(default=100, verbose_name='一星（小时）')),
                ('star_2_hours', models.PositiveIntegerField(default=300, verbose_name='二星（小时）')),
                ('star_3_hours', models.PositiveIntegerField(default=600, verbose_name='三星（小时）')),
                ('star_4_hours', models.PositiveIntegerField(default=1000, verbose_name='四星（小时）')),
                ('star_5_hours', models.PositiveIntegerField(default=1500, verbose_name='五星（小时）')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
            ],
            options={
                'verbose_name': '志愿服务证明设置',
                'verbose_name_plural': '志愿服务证明设置',
                'constraints': [models.CheckConstraint(condition=models.Q(('id', 1)), name='issuer_settings_single_row'), models.CheckConstraint(condition=models.Q(('star_1_hours__gt', 0), ('star_2_hours__gt', models.F('star_1_hours')), ('star_3_hours__gt', models.F('star_2_hours')), ('star_4_hours__gt', models.F('star_3_hours')), ('star_5_hours__gt', models.F('star_4_hours'))), name='issuer_settings_stars_rise', violation_error_message='星级时长须大于 0，且一星到五星逐级增加。')],
            },
        ),
        migrations.AddIndex(
            model_name='certificate',
            index=models.Index(fields=['person', '-issued_at'], name='certificate_person'),
        ),
        migrations.AddConstraint(
            model_name='certificate',
            constraint=models.UniqueConstraint(fields=('year', 'serial'), name='certificate_unique_serial_per_year'),
        ),
        migrations.AddConstraint(
            model_name='certificate',
            constraint=models.CheckConstraint(condition=models.Q(('period_end__gte', models.F('period_start'))), name='certificate_period_order'),
        ),
        migrations.AddConstraint(
            model_name='certificate',
            constraint=models.CheckConstraint(condition=models.Q(('hours__gt', Decimal('0'))), name='certificate_hours_positive'),
        ),
        migrations.AddConstraint(
            model_name='certificate',
            constraint=models.CheckConstraint(condition=models.Q(('id_tail', ''), ('id_tail__regex', '^[0-9A-Z]{4}$'), _connector='OR'), name='certificate_id_tail_only'),
        ),
        migrations.AddIndex(
            model_name='certificaterequest',
            index=models.Index(fields=['status', '-requested_at'], name='certificate_request_status'),
        ),
        migrations.AddConstraint(
            model_name='certificaterequest',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'open')), fields=('person',), name='certificate_request_one_open', violation_error_message='您已有一份待处理的申请。'),
        ),
        migrations.AddConstraint(
            model_name='certificaterequest',
            constraint=models.CheckConstraint(condition=models.Q(('period_end__gte', models.F('period_start'))), name='certificate_request_period_order'),
        ),
        migrations.AddConstraint(
            model_name='certificaterequest',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('certificate__isnull', True), ('decided_at__isnull', True), ('status', 'open')), models.Q(('certificate__isnull', False), ('decided_at__isnull', False), ('status', 'issued')), models.Q(('certificate__isnull', True), ('decided_at__isnull', False), ('status', 'declined'), models.Q(('decline_reason', ''), _negated=True)), _connector='OR'), name='certificate_request_outcome'),
        ),
        migrations.RunSQL(IMMUTABLE, NOT_IMMUTABLE),
    ]
